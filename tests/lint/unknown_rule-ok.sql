-- migrate:up
-- predeploy:allow drop_column emails moved to contacts in v41
alter table users drop column email;
