-- migrate:up
-- predeploy:allow drop_column,drop_table cleanup after the v40 migration

alter table users drop column legacy_flag;
drop table legacy_sessions;
