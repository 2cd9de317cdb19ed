-- migrate:up
alter table legacy_items add constraint legacy_items_pkey primary key using index legacy_items_id_idx;
