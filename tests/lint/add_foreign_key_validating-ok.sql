-- migrate:up
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;
-- predeploy:allow fk_without_index orders_user_id_idx exists
alter table orders add constraint orders_user2_fk foreign key (user_id) references users (id) not valid;
