-- user_upsert: add user $login, or change the name, role and scope of the one already there
-- (keeping when it was first added).
INSERT INTO users (login, name, role, unit_code, created_at)
VALUES ($login, $name, $role, $unit_code, $created_at)
ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role, unit_code = excluded.unit_code
