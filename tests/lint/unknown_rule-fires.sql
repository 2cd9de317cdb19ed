-- migrate:up
-- predeploy:allow drop_colum typo
alter table users drop column email;
