-- audit_list: the audit trail from $since (a timestamp) on, of $actor (an empty string: everyone),
-- newest first.
-- scope: admin
SELECT id, happened_at, actor, via, action, target, outcome, detail
FROM audit
WHERE happened_at >= $since AND ($actor = '' OR actor = $actor)
ORDER BY happened_at DESC, id DESC
