-- units_all: every unit of the organisation tree, in its latest version over its whole life.
SELECT code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order, reporting, merged_into
FROM units
