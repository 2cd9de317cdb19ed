-- migrate:up transaction:false
vacuum (analyze) users;
