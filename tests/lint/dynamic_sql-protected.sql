-- golden-args: --protect users
-- migrate:up
-- predeploy:allow dynamic_sql reviewed
do $$ begin execute 'select 1'; end $$;
-- predeploy:allow dynamic_sql reviewed
create function touches_users() returns void language plpgsql as $$ begin execute 'delete from users'; end $$;
create function other() returns void language plpgsql as $$ begin execute 'delete from orders'; end $$;
