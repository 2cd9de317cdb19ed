-- migrate:up
create table tmp_import (id bigint);
drop table tmp_import;
