-- migrate:up
drop schema legacy cascade;
