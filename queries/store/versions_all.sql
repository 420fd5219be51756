-- versions_all: every version of every unit (the tree of each quarter is made of these).
SELECT code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order, reporting, merged_into
FROM unit_versions
