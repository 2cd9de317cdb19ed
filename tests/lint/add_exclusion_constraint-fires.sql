-- migrate:up
alter table bookings add constraint no_overlap exclude using gist (room with =, during with &&);
