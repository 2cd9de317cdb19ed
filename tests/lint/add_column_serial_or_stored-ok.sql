-- migrate:up
alter table orders add column total_cents bigint;
