-- migrate:up
create table cities (id bigint primary key, name varchar(100));
