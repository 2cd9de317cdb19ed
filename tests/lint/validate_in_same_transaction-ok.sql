-- migrate:up
-- the NOT VALID constraint was added by an earlier migration
alter table orders validate constraint total_positive;
