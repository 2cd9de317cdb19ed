-- migrate:up
alter table orders add column seq bigint generated always as identity;
alter table orders add column total_cents bigint generated always as (total * 100) stored;
