-- migrate:up
-- ... and validated in a later migration, under a SHARE UPDATE EXCLUSIVE lock.
ALTER TABLE posts VALIDATE CONSTRAINT posts_title_not_blank;

-- migrate:down
-- nothing to undo: validation only checked existing rows
