-- migrate:up transaction:false
create index concurrently if not exists users_email_idx on users (email);
drop index concurrently if exists users_old_idx;
