-- migrate:up
insert into docs (body) values ('drop table users; truncate orders');
-- drop table users;
/* alter table users drop column email; */
create function purge() returns void language plpgsql as $$ begin delete from sessions; end $$;
do $$ begin execute 'drop table users'; end $$;
