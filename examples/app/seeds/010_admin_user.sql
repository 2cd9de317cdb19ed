-- Reference data, run by predeploy after the migrations when this file is
-- new or changed (docs/run.md#seeds). Idempotent: safe to run again.
INSERT INTO users (email, display_name)
VALUES ('admin@example.com', 'Administrator')
ON CONFLICT ((lower(email))) DO UPDATE SET display_name = EXCLUDED.display_name;
