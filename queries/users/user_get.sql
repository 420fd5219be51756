-- user_get: the user of login $login, if any.
SELECT login, name, role, unit_code, created_at, email, mobile FROM users WHERE login = $login
