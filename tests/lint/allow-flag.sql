-- golden-args: --allow drop_table
-- migrate:up
drop table users;
