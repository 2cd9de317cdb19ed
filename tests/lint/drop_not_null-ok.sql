-- migrate:up
alter table users add column phone text not null default '';
alter table users alter column phone drop not null;
