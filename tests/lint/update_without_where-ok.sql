-- migrate:up
update users set active = true where active is null;
