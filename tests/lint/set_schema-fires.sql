-- migrate:up
alter table users set schema archive;
alter table if exists app.orders set schema archive;
