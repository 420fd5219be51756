-- units_all: every unit of the organisation tree.
SELECT code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order FROM units
