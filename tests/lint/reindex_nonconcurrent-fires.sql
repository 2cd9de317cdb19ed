-- migrate:up
reindex table users;
