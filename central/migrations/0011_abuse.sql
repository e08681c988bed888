-- Abuse-proofing (docs/security.md).

-- Tracing credentials expire, carry scopes, and are revoked by `admin revoke-tracer`.
ALTER TABLE tracers ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE tracers SET expires_at = created_at + interval '30 days' WHERE expires_at IS NULL;
ALTER TABLE tracers ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE tracers ADD COLUMN scopes TEXT[] NOT NULL DEFAULT ARRAY['person', 'venue', 'overlap', 'trips'];

-- Who asked from where, and why.
ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN purpose TEXT NOT NULL DEFAULT '';

-- A token that names a desk re-enrols that desk (after revocation); no other token replaces an
-- enrolled desk.
ALTER TABLE enrol_tokens ADD COLUMN desk_id UUID;

-- A visit declared from a phone that is not the person's own (someone typed an ID number already
-- on file) is kept apart in tracing.
ALTER TABLE visits ADD COLUMN verified BOOLEAN NOT NULL DEFAULT true;

-- A phone cookie can be revoked at the server.
ALTER TABLE phones ADD COLUMN revoked_at TIMESTAMPTZ;

-- New ID numbers declared per phone and per client address and day (the phone page's limits),
-- and what crossed a limit, for supervision.
CREATE TABLE declare_counts (
    day      DATE NOT NULL,
    who      TEXT NOT NULL,
    new_ids  INT NOT NULL DEFAULT 0,
    on_file  INT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, who)
);
CREATE TABLE abuse_flags (
    day      DATE NOT NULL,
    kind     TEXT NOT NULL,
    who      TEXT NOT NULL,
    phone_id UUID,
    attempts INT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (day, kind, who)
);
