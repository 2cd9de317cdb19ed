-- golden-args: --protect users
-- migrate:up
-- predeploy:allow drop_column reviewed
alter table users drop column email;
