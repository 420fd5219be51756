-- check_facts_orphaned: facts whose submission is not recorded (a submission and its facts are
-- written in one transaction, so facts without one never came from a whole load).
SELECT f.submission_id, count(*) AS n_facts
FROM facts f
ANTI JOIN submissions s ON s.id = f.submission_id
GROUP BY f.submission_id
ORDER BY f.submission_id
