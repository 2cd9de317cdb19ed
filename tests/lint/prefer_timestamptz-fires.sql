-- migrate:up
create table logins (id bigint primary key, at timestamp not null);
