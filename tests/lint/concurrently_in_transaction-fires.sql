-- migrate:up
create index concurrently users_email_idx on users (email);
