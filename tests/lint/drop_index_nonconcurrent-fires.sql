-- migrate:up
drop index users_name_idx;
