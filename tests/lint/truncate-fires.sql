-- migrate:up
truncate sessions;
