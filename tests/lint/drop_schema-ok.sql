-- migrate:up
create schema if not exists reporting;
