-- migrate:up
alter table users drop column email;
