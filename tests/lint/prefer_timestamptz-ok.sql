-- migrate:up
create table logins (id bigint primary key, at timestamptz not null);
