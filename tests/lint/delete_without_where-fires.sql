-- migrate:up
delete from audit_log;
