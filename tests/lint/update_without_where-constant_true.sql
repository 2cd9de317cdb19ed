-- migrate:up
update users set active = true where 1 = 1;
update users set active = true where true or active;
