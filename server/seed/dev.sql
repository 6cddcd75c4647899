-- Local development demo data. Applied by `make dev` (and the test runner) only
-- when the local database has no `dev_seed` mark; never by a deploy.
-- Every demo user's password is `dealgate-demo` (PBKDF2-HMAC-SHA256, 100,000
-- iterations; fixed salts, generated once, for reproducible demo data only).
INSERT INTO meta (key, value) VALUES ('dev_seed', '1');

INSERT INTO users (id, email, name, password_hash, roles, active, created_at, updated_at) VALUES
  ('u_admin', 'admin@example.com', '管理员 Admin Wang', 'pbkdf2-sha256$100000$S9tR3Z6qrd4wNNJ5iJtgPQ==$gIBMINRk8K+5iHxuT4pOg9eEch+4xGWcxo42n07jywA=', '["admin"]', 1, '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z'),
  ('u_manager', 'manager@example.com', '销售总监 Zhou Min', 'pbkdf2-sha256$100000$zAC8AbqMBNw21F6uj8telA==$Fg0QF5PAzvqJ2a40krgTKK1ge8WV7bk4UsUQkgALj9M=', '["manager"]', 1, '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z'),
  ('u_rep', 'rep@example.com', '销售 Li Lei', 'pbkdf2-sha256$100000$RJ6925OROIAUiByNhBENPg==$rQCsghvjVau5ZiauQ/8sq6pDH4j2yCIRxKESqNlT5f0=', '["rep"]', 1, '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z'),
  ('u_rep2', 'rep2@example.com', '销售 Han Meimei', 'pbkdf2-sha256$100000$n8zLNvI6PnVMMsQ6U+Cvow==$XYUjKEQZfl43SUNTld/55tE92vdH4XhGFvtWbhzu9wA=', '["rep"]', 1, '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z'),
  ('u_channel', 'channel@example.com', '渠道经理 Chen Jing', 'pbkdf2-sha256$100000$4ob+OnIikdogaenV/T5PfA==$liFqAmUMWKhfIBsLIej7MYz1amvgKEsIkjQGs425c1U=', '["channel"]', 1, '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z');
