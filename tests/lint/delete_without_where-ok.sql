-- migrate:up
delete from audit_log where created_at < '2020-01-01';
