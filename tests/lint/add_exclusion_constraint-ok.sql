-- migrate:up
create table rooms_booked (room bigint, during tstzrange, exclude using gist (room with =, during with &&));
