-- migrate:up
alter table measurements detach partition measurements_2020;
