-- migrate:up
alter table orders alter column quantity type bigint using quantity::bigint;
