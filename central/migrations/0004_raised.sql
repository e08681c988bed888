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

-- A yellow or red person let go at the door is recorded as an incident with status 'released',
-- the reason in `note`, and the operator who decided (R7: never silently).
ALTER TABLE incidents ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN operator TEXT;
