alter table users add column note text;
