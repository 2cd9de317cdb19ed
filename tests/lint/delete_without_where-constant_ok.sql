-- migrate:up
delete from sessions where id > 5 and 1 = 1;
delete from sessions where false;
delete from sessions where null;
delete from sessions where 1 = 2 or null;
delete from sessions where expires_at < now() or true is null;
create table tmp (id bigint primary key);
delete from tmp where true;
delete from sessions where 'B' < 'a';
