-- migrate:up
create table cities (id bigint primary key, name text check (char_length(name) <= 100));
