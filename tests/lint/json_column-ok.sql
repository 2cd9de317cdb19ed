-- migrate:up
create table payloads (id bigint primary key, body jsonb);
