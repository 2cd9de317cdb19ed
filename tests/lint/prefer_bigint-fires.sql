-- migrate:up
create table tags (id int primary key, name text);
