-- migrate:up
create table events (id bigint primary key, user_id bigint);
create index events_user_id_idx on events (user_id);
