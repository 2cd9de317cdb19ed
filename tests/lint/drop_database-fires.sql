-- migrate:up transaction:false
drop database old_app;
