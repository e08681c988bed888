-- The supervision console's users (R10, R11): made and disabled by the administrator's CLI.
-- The password is kept as an argon2id hash; the second factor's TOTP secret is sealed with the
-- data key, like every other secret at rest.
CREATE TABLE console_users (
    id             UUID PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('city', 'district', 'tracer')),
    district       TEXT,
    password_hash  TEXT NOT NULL,
    totp_sealed    TEXT NOT NULL,
    -- The last TOTP step accepted: a code is taken once (RFC 6238 §5.2).
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at    TIMESTAMPTZ,
    CHECK ((role = 'district') = (district IS NOT NULL))
);

-- Signed-in browsers: only the hash of the cookie's token is kept.
CREATE TABLE console_sessions (
    token_hash   BYTEA PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES console_users (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    source       TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed sign-ins by login name, whether or not the name exists (so a lock tells nothing).
CREATE TABLE console_failures (
    login        TEXT PRIMARY KEY,
    failures     INT NOT NULL,
    locked_until TIMESTAMPTZ,
    last_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
