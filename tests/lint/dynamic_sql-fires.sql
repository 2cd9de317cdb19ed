-- migrate:up
do $$
begin
  execute 'drop table ' || quote_ident('sessions');
end
$$;
create or replace function purge(t text) returns void language plpgsql as $fn$
begin
  EXECUTE format('truncate %I', t);
end
$fn$;
create procedure p() language plpgsql as 'begin execute ''select 1''; end';
