-- migrate:up
create table notes (id bigint primary key, title varchar(50), amount numeric(10,2));
alter table notes alter column title type varchar(10);
alter table notes alter column amount type int4 using amount::int4;
-- predeploy:allow change_column_type widened in release 12
alter table orders alter column quantity type text;
