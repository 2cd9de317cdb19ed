-- migrate:up
create table staging_import (id bigint primary key);
alter table staging_import set schema archive;
alter table archive.staging_import add column note text;
alter sequence s set schema archive;
