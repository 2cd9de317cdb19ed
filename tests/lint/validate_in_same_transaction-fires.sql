-- migrate:up
alter table orders add constraint total_positive check (total > 0) not valid;
alter table orders validate constraint total_positive;
