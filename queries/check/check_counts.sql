-- check_counts: what the check looked at: submissions (and how many active), facts, roll-up rows.
SELECT (SELECT count(*) FROM submissions) AS submissions,
       (SELECT count(*) FROM submissions WHERE status = 'active') AS active,
       (SELECT count(*) FROM facts) AS facts,
       (SELECT count(*) FROM rollup) AS rollup_rows
