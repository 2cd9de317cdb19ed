-- migrate:up
begin;
alter table users add column note text;
commit;
