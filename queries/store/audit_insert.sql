-- audit_insert: append one entry to the audit trail (the only statement that writes it).
INSERT INTO audit (happened_at, actor, via, action, target, outcome, detail)
VALUES ($at, $actor, $via, $action, $target, $outcome, $detail)
