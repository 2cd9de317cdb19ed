-- migrate:up
alter table orders drop constraint orders_total_check;
