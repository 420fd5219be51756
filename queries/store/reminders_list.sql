-- reminders_list: every reminder kept for quarter $quarter, newest first (the 报送情况 page).
SELECT unit_code, quarter, day, channel, recipient, outcome, reason, sent_by, sent_at
FROM reminders WHERE quarter = $quarter ORDER BY sent_at DESC, unit_code, channel, recipient
