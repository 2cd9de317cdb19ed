-- golden-args: --protect public.users --force
-- migrate:up
alter table users drop column email;
