-- migrate:up
alter table users add column note text;
