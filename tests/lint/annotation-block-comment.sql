-- migrate:up
-- a line inside a block comment is not an annotation, nor is a comment
-- after the previous statement on its line
drop table a; -- predeploy:allow truncate
truncate b;
/*
-- predeploy:allow drop_table
*/
drop table c;
  -- predeploy:allow drop_table
drop table d;
