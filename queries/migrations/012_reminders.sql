-- Schema version 12: reminders (催报).  A user gains an e-mail address and, optionally, a mobile
-- number: where a reminder reaches them.  A quarter's deadline may be set apart from the default
-- (settings.deadline_days after the quarter ends): `deadlines` holds the quarters that are.  Every
-- reminder sent, or tried, is kept in `reminders` — one row per reporting unit, quarter, channel
-- and recipient — so a unit is reminded at most once a day (`day` is the product's clock) and a
-- failed channel is retried on the next run; each send is also in the audit trail.
ALTER TABLE users ADD COLUMN email VARCHAR DEFAULT '';
ALTER TABLE users ADD COLUMN mobile VARCHAR DEFAULT '';
CREATE TABLE deadlines (
    quarter  VARCHAR PRIMARY KEY,
    due      DATE NOT NULL,
    set_by   VARCHAR NOT NULL,
    set_at   TIMESTAMP NOT NULL
);
CREATE TABLE reminders (
    unit_code   VARCHAR NOT NULL,
    quarter     VARCHAR NOT NULL,
    day         DATE NOT NULL,        -- the product's today when it was sent
    channel     VARCHAR NOT NULL,     -- email | wecom | dingtalk
    recipient   VARCHAR NOT NULL,     -- an e-mail address, or the robot's name for a group
    outcome     VARCHAR NOT NULL,     -- ok | failed
    reason      VARCHAR,              -- why a send failed
    sent_by     VARCHAR NOT NULL,
    sent_at     TIMESTAMP NOT NULL
);
