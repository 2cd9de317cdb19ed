-- migrate:up
do $$ begin raise notice 'execute nothing'; /* execute */ perform 1; end $$;
do $$
begin
  -- execute later
  perform 1;
end $$;
create function one() returns int language sql as $$ select 1 $$;
create function two() returns int language sql begin atomic select 2; end;
prepare q as select 1;
execute q;
