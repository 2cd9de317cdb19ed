-- migrate:up transaction:false
create database if_needed_elsewhere;
