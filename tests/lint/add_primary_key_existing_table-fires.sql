-- migrate:up
alter table legacy_items add primary key (id);
