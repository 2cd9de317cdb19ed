-- migrate:up
-- old types are unknown here: a change to text or unbounded numeric is
-- binary compatible from varchar and numeric(p,s), so it is not flagged
alter table users alter column nickname type text;
alter table orders alter column amount type numeric;
