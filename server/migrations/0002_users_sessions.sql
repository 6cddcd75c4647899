-- Accounts and sessions (issue #4).

CREATE TABLE users (
  id            TEXT PRIMARY KEY NOT NULL,
  -- Stored lower-cased and trimmed: one account per address.
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  -- pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>
  password_hash TEXT NOT NULL,
  -- JSON array of permission roles: ["rep"], ["manager","admin"], …
  roles         TEXT NOT NULL DEFAULT '[]',
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) STRICT;

-- A session is known only by the SHA-256 of its token: a leaked table
-- cannot be replayed as cookies.
CREATE TABLE sessions (
  id           TEXT PRIMARY KEY NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- Unix seconds.
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user ON sessions(user_id);
