-- migrate:up
alter table items add column price_cents integer;

-- migrate:down
alter table items drop column price_cents;
