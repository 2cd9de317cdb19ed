SET lock_timeout = '5s';
SET LOCAL statement_timeout TO 1000;
INSERT INTO users (email, score) VALUES ('a@example.com', 1.25), ($1, -0.0) ON CONFLICT (email) DO UPDATE SET score = EXCLUDED.score RETURNING id;
UPDATE users SET score = score * 1.1 WHERE id IN (SELECT user_id FROM orders WHERE total > 100.00);
UPDATE users SET full_name = 'x';
DELETE FROM sessions;
DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.created_at < now() - interval '30 days';
WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 100)
SELECT n, sum(n) OVER (ORDER BY n ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t;
SELECT jsonb_build_object('a', 1, 'b', ARRAY[1,2,3]) -> 'b' ->> 0, E'\x41\n', U&'\0041', B'1010', X'ff', 1e-10, .5, 9223372036854775808;
SELECT * FROM users u LEFT JOIN LATERAL (SELECT * FROM orders o WHERE o.user_id = u.id LIMIT 3) o ON true FOR UPDATE SKIP LOCKED;
COPY users (id, email) FROM stdin WITH (FORMAT csv, HEADER true);
