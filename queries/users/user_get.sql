-- user_get: the user of login $login, if any.
SELECT login, name, role, unit_code, created_at FROM users WHERE login = $login
