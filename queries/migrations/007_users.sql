-- Schema version 7: the people who may use the app.  A login is the identity provider's claim
-- (the e-mail address, or sub when there is none), the role one of leader / reporter / admin,
-- and unit_code the unit whose subtree is the person's scope (an administrator's is the root).
-- Kept by `python -m dashboard users` and the 用户管理 page; every change is audited.
-- (Version 6 is the organisation tree's, added beside this one.)
CREATE TABLE users (
    login      VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL DEFAULT '',
    role       VARCHAR NOT NULL CHECK (role IN ('leader', 'reporter', 'admin')),
    unit_code  VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
