-- migrate:up
-- predeploy:allow drop_column legacy flag unused since v38
alter table users drop column legacy_flag;
drop table legacy_sessions;
