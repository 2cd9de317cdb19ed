-- migrate:up
create table widgets (id bigint generated always as identity primary key);
