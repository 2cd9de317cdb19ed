-- golden-args: --protect users
-- migrate:up
-- predeploy:allow update_without_where backfill
update users set active = true where 1 = 1;
