-- migrate:up
create table payloads (id bigint primary key, body json);
