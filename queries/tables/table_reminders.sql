-- table_reminders: every row of reminders, in a fixed order (Store.snapshot).
SELECT * FROM reminders ORDER BY sent_at, unit_code, quarter, channel, recipient
