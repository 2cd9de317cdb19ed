CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.updated_at := now();
  RAISE NOTICE 'touched % at %', NEW.id, now();
  RETURN NEW;
END
$fn$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app; END IF; END $$;
CREATE FUNCTION add(a int, b int) RETURNS int IMMUTABLE STRICT RETURN a + b;
-- comments /* nested /* comment */ */ and 'quotes'
SELECT 'it''s', "Quoted ""Ident""", $tag$ dollar $ quoted $tag$;
