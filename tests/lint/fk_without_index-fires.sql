-- migrate:up
create table comments (id bigint generated always as identity primary key, post_id bigint not null references posts (id));
