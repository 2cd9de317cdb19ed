-- migrate:up
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);
