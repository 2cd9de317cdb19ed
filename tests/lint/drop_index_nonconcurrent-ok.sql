-- migrate:up transaction:false
drop index concurrently if exists users_name_idx;
