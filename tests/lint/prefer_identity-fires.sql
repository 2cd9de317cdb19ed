-- migrate:up
create table widgets (id bigserial primary key);
