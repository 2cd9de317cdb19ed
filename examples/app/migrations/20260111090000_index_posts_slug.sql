-- migrate:up transaction:false
-- Built without blocking writes; IF NOT EXISTS makes a retry safe.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS posts_slug_key ON posts (slug);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS posts_slug_key;
