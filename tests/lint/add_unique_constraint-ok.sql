-- migrate:up
alter table users add constraint users_email_key unique using index users_email_idx;
