-- migrate:up
alter table users add column note text;
alter tabel users drop column note;
create index users_x on users (x;
