-- migrate:up
update users set active = true;
