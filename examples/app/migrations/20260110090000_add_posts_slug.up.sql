-- A nullable column with no default: a metadata-only change.
ALTER TABLE posts ADD COLUMN slug text;
