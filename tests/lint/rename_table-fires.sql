-- migrate:up
alter table users rename to accounts;
