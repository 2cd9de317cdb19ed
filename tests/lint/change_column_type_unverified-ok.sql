-- migrate:up
-- a table created in this migration is exempt; USING always rewrites, so it
-- is change_column_type, not this warning
create table notes (id bigint primary key, title varchar(50));
alter table notes alter column title type varchar(100);
-- predeploy:allow change_column_type backfilled in release 12
alter table orders alter column quantity type bigint using quantity::bigint;
