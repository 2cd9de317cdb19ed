-- migrate:up transaction:false
vacuum full users;
cluster users using users_pkey;
