-- migrate:up
alter table users add column nick text;
alter table users rename column nick to nickname;
