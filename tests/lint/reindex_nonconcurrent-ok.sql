-- migrate:up transaction:false
reindex (concurrently) table users;
