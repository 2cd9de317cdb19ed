-- migrate:up
create table staging (id bigint);
truncate staging;
delete from sessions where expires_at < now();
