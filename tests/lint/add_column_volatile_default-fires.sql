-- migrate:up
alter table users add column token uuid default gen_random_uuid();
alter table users add column seen_at timestamptz default clock_timestamp();
