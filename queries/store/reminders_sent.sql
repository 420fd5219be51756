-- reminders_sent: the reminders of quarter $quarter sent (outcome ok) on day $day, one row per
-- unit and channel with the first time: what keeps a unit to one reminder per channel and day.
SELECT unit_code, channel, min(sent_at) AS sent_at
FROM reminders
WHERE quarter = $quarter AND day = CAST($day AS DATE) AND outcome = 'ok'
GROUP BY unit_code, channel
ORDER BY unit_code, channel
