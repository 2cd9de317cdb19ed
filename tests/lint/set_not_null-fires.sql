-- migrate:up
alter table users alter column email set not null;
