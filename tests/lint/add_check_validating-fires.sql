-- migrate:up
alter table orders add constraint total_positive check (total > 0);
