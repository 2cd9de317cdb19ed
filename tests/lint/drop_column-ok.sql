-- migrate:up
alter table users add column tmp text;
alter table users drop column tmp;
