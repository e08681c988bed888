-- The central store. Personal data lives in `people` only; visits point at people by id.

CREATE TABLE enrol_tokens (
    token_hash  BYTEA PRIMARY KEY,
    districts   TEXT[] NOT NULL,
    venue_ids   UUID[] NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    used_by     UUID
);

CREATE TABLE desks (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL,
    credential_hash  BYTEA NOT NULL UNIQUE,
    code_key_id      BIGINT NOT NULL,
    code_key_secret  BYTEA NOT NULL,
    districts        TEXT[] NOT NULL,
    app_version      TEXT NOT NULL DEFAULT '',
    enrolled_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at       TIMESTAMPTZ,
    last_seen_at     TIMESTAMPTZ,
    clock_offset_ms  BIGINT
);
-- A code names its signing key by id: one desk per key id.
CREATE UNIQUE INDEX desks_code_key ON desks (code_key_id);

-- Venues a desk may write records for: named in its token, or registered by it.
CREATE TABLE desk_venues (
    desk_id  UUID NOT NULL REFERENCES desks (id),
    venue_id UUID NOT NULL,
    PRIMARY KEY (desk_id, venue_id)
);
CREATE INDEX desk_venues_venue ON desk_venues (venue_id);

CREATE TABLE venues (
    id            UUID PRIMARY KEY,
    desk_id       UUID NOT NULL REFERENCES desks (id),
    kind          TEXT NOT NULL,
    category      TEXT NOT NULL,
    name          TEXT NOT NULL,
    district      TEXT NOT NULL,
    address       TEXT NOT NULL,
    manager_name  TEXT NOT NULL,
    manager_phone TEXT NOT NULL,
    dedup_key     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),
    reason        TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- 一所一码, city-wide: one approved venue per normalized name + district + address.
CREATE UNIQUE INDEX venues_one_code ON venues (dedup_key) WHERE status = 'approved';

CREATE TABLE codes (
    code        TEXT PRIMARY KEY,
    venue_id    UUID NOT NULL REFERENCES venues (id),
    desk_id     UUID NOT NULL REFERENCES desks (id),
    kind        TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    replaced_by TEXT
);
CREATE INDEX codes_venue ON codes (venue_id);

-- Every pushed record once, by its client-made id; the digest tells a retry from a conflict.
CREATE TABLE records (
    id              UUID PRIMARY KEY,
    desk_id         UUID NOT NULL,
    kind            TEXT NOT NULL,
    digest          BYTEA NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL,
    clock_offset_ms BIGINT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX records_received ON records (received_at);

-- People, keyed by the HMAC of their document number (the risk key), so the risk list joins.
CREATE TABLE people (
    id              BIGSERIAL PRIMARY KEY,
    id_hash         BYTEA NOT NULL UNIQUE,
    document_kind   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    last4           TEXT NOT NULL,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    phone           TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Check-ins, from desks and phones, partitioned by day so retention drops whole days.
CREATE TABLE visits (
    id          UUID NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    person_id   BIGINT NOT NULL,
    venue_id    UUID NOT NULL,
    code        TEXT,
    source      TEXT NOT NULL,
    desk_id     UUID,
    way_in      TEXT NOT NULL,
    colour      TEXT NOT NULL,
    health_code TEXT NOT NULL,
    reasons     TEXT[] NOT NULL,
    helper      TEXT,
    operator    TEXT
) PARTITION BY RANGE (at);
CREATE INDEX visits_person_at ON visits (person_id, at);
CREATE INDEX visits_venue_at ON visits (venue_id, at);
-- Rows outside the prepared days (a desk clock far off, a very late push) land here.
CREATE TABLE visits_default PARTITION OF visits DEFAULT;

CREATE TABLE incidents (
    id          UUID PRIMARY KEY,
    visit_id    UUID NOT NULL,
    venue_id    UUID NOT NULL,
    desk_id     UUID NOT NULL,
    colour      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    held_at     TEXT NOT NULL,
    reported_to TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE incident_events (
    id          UUID PRIMARY KEY,
    incident_id UUID NOT NULL,
    status      TEXT NOT NULL,
    note        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);

-- Truck records (货车闭环); matched into trips by the truck issue.
CREATE TABLE truck_records (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    desk_id    UUID,
    venue_id   UUID NOT NULL,
    plate      TEXT NOT NULL,
    body       JSONB NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX truck_records_plate ON truck_records (plate, at);

-- The provincial risk-person list, by keyed hash only.
CREATE TABLE risk (
    id_hash    BYTEA PRIMARY KEY,
    colour     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What desks pull, in order. `venue_id` NULL: for every desk (the risk list).
CREATE TABLE changes (
    seq      BIGSERIAL PRIMARY KEY,
    kind     TEXT NOT NULL,
    venue_id UUID,
    body     JSONB NOT NULL,
    at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_venue ON changes (venue_id, seq);

-- Phones remembered by their signed cookie, and the people each has declared.
CREATE TABLE phones (
    id         UUID PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE phone_people (
    phone_id  UUID NOT NULL REFERENCES phones (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (phone_id, person_id)
);

-- Who may run tracing queries, and what they asked.
CREATE TABLE tracers (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    params  JSONB NOT NULL,
    results BIGINT NOT NULL
);
ALTER TABLE changes ADD COLUMN origin_desk UUID;
