CREATE TABLE broken (id int,, name text);
