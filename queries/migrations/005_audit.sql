-- Schema version 5: the audit trail.  Every write — accepted and rejected returns, restores, tree
-- imports, user changes, demo load and clear, backups — is appended here: who, when, from where
-- (app / cli), what, and how it ended.  Rows are only ever inserted (no query updates or deletes
-- this table; a test reads queries/ to hold that).
CREATE SEQUENCE audit_ids START 1;
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY DEFAULT nextval('audit_ids'),
    happened_at TIMESTAMP NOT NULL,
    actor    VARCHAR NOT NULL,   -- the signed-in login, --user, or the OS user
    via      VARCHAR NOT NULL,   -- app | cli | system
    action   VARCHAR NOT NULL,   -- e.g. return.import, return.restore, tree.import, user.add
    target   VARCHAR,            -- what it acted on: a file name, a submission id, a login
    outcome  VARCHAR NOT NULL,   -- ok | rejected | failed
    detail   VARCHAR
);
