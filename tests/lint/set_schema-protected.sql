-- golden-args: --protect users
-- migrate:up
-- predeploy:allow set_schema
alter table users set schema archive;
