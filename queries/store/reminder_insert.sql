-- reminder_insert: keep one send of a reminder (ok or failed, with why).
INSERT INTO reminders (unit_code, quarter, day, channel, recipient, outcome, reason, sent_by, sent_at)
VALUES ($unit, $quarter, CAST($day AS DATE), $channel, $recipient, $outcome, $reason, $by, $at)
