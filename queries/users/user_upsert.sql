-- user_upsert: add user $login, or change the name, role and scope of the one already there
-- (keeping when it was first added; an e-mail or mobile left blank keeps the one it had).
INSERT INTO users (login, name, role, unit_code, created_at, email, mobile)
VALUES ($login, $name, $role, $unit_code, $created_at, $email, $mobile)
ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role, unit_code = excluded.unit_code,
    email = CASE WHEN excluded.email = '' THEN users.email ELSE excluded.email END,
    mobile = CASE WHEN excluded.mobile = '' THEN users.mobile ELSE excluded.mobile END
