-- Raised colours (赋色保持, R7): yellow or red from a declaration or the risk list, kept for a
-- person by keyed hash until `until` unless the epidemic office clears it; published to every
-- desk as changes, and applied on the phone page.
CREATE TABLE raised (
    id_hash    BYTEA PRIMARY KEY,
    colour     TEXT NOT NULL,
    until      TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX raised_until ON raised (until);

-- A colour raised by a declaration from a phone whose link to the person is unverified (someone
-- typed an ID number already on file): kept for that phone only, so knowing an ID number cannot
-- mark its owner yellow or red everywhere, and that phone still cannot talk its way to green.
CREATE TABLE phone_raised (
    phone_id UUID NOT NULL,
    id_hash  BYTEA NOT NULL,
    colour   TEXT NOT NULL,
    until    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (phone_id, id_hash)
);

-- A yellow or red person let go at the door is recorded as an incident with status 'released',
-- the reason in `note`, and the operator who decided (R7: never silently).
ALTER TABLE incidents ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN operator TEXT;

-- Facts about this database: the fingerprint of the server secret it was made with, so a server
-- or an admin command started with another secret refuses to run (its keyed hashes would match
-- nothing here: a risk list imported that way would turn every listed person green).
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
