-- migrate:up transaction:false
alter table measurements detach partition measurements_2020 concurrently;
