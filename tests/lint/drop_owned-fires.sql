-- migrate:up
drop owned by old_app cascade;
