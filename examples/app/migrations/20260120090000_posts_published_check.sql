-- migrate:up
-- Added NOT VALID (no full scan under an exclusive lock) ...
ALTER TABLE posts ADD CONSTRAINT posts_title_not_blank CHECK (title <> '') NOT VALID;

-- migrate:down
ALTER TABLE posts DROP CONSTRAINT posts_title_not_blank;
