-- migrate:up
alter table users alter column email drop not null;
