-- migrate:up
delete from sessions where true;
delete from sessions where 1 = 1;
delete from sessions where not false;
delete from sessions where 1 = 2 or 2 > 1;
delete from sessions where 't'::boolean;
delete from sessions where null is null;
delete from sessions where (1 = 1) is not false;
delete from sessions where 1::bigint = 1;
