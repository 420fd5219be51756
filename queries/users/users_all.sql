-- users_all: every user of the app (login, name, role, scope unit, when added), by login.
SELECT login, name, role, unit_code, created_at FROM users ORDER BY login
