-- user_delete: remove user $login; returns the login removed (none if there was no such user).
DELETE FROM users WHERE login = $login RETURNING login
