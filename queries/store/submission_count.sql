-- submission_count: how many submissions the database holds (none: a new database).
SELECT count(*) FROM submissions
