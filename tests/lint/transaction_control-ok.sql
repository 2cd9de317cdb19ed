-- migrate:up
savepoint before_note;
alter table users add column note text;
release savepoint before_note;
