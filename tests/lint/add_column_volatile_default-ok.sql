-- migrate:up
alter table users add column created_at timestamptz not null default now();
alter table users add column status text default 'active';
