-- migrate:up
create table accounts_new (id bigint);
alter table accounts_new rename to accounts2;
