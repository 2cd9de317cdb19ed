-- migrate:up
create table tags (id bigint primary key, name text, use_count int not null default 0);
