-- migrate:up
alter table users add column tenant_id bigint not null;
