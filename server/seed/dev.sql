-- Local development demo data. Applied by `make dev` only when the local
-- database has no `dev_seed` mark; never by a deploy.
-- Demo users and deals arrive with their tables (issues #4 and #5).
INSERT INTO meta (key, value) VALUES ('dev_seed', '1');
