CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(200) DEFAULT 'anonymous',
    score numeric(10, 2) DEFAULT 1.5e3 CHECK (score >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    tags text[] DEFAULT '{}'::text[]
);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_idx ON users USING btree (created_at DESC NULLS LAST) WHERE name <> 'x';
ALTER TABLE users ADD COLUMN org_id bigint;
ALTER TABLE users ADD CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE users ALTER COLUMN email TYPE varchar(320) USING email::varchar(320);
ALTER TABLE users ALTER COLUMN name SET NOT NULL, ALTER COLUMN score DROP DEFAULT;
ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE users VALIDATE CONSTRAINT users_org_id_fkey;
DROP TABLE IF EXISTS old_users, legacy.accounts CASCADE;
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
COMMENT ON TABLE users IS 'people, ünïcödé ☃';
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy';
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION app;
TRUNCATE audit.log RESTART IDENTITY;
CREATE MATERIALIZED VIEW stats AS SELECT date_trunc('day', created_at) d, count(*) FROM users GROUP BY 1 WITH NO DATA;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO app_ro;
