-- migrate:up
create table orders (id bigint generated always as identity primary key,
                     item_id bigint not null references items (id),
                     placed_at timestamptz not null default now());
create index orders_item_id on orders (item_id);

-- migrate:down
drop table orders;
