-- migrate:up
create index users_name_idx on users (name);
