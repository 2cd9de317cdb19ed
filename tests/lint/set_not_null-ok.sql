-- migrate:up
create table profiles (id bigint, bio text);
alter table profiles alter column bio set not null;
