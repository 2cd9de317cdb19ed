-- migrate:up
drop table users;
