-- migrate:up
-- no database and no earlier migration: the old types are unknown, so each
-- change could rewrite the table (a database decides: see docs/rules.md)
alter table users alter column nickname type text;
alter table orders alter column amount type numeric;
alter table orders alter column quantity type bigint;
