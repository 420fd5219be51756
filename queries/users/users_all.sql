-- users_all: every user of the app (login, name, role, scope unit, when added, e-mail, mobile), by login.
SELECT login, name, role, unit_code, created_at, email, mobile FROM users ORDER BY login
