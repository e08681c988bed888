-- The market regulator's list of places that should have a code (R10), matched to venues by
-- the core's listed key (`venue::listed_key`): the district and name as venues' keys hold them,
-- and the address past its city and district, which the venue's address ends with. Contacts
-- are sealed.
CREATE TABLE reference_places (
    id            UUID PRIMARY KEY,
    place_key     TEXT NOT NULL UNIQUE,
    name_key      TEXT NOT NULL,
    address_key   TEXT NOT NULL,
    district      TEXT NOT NULL,
    category      TEXT NOT NULL,
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    contact_name  TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    imported_at   TIMESTAMPTZ NOT NULL,
    imported_by   TEXT NOT NULL
);
CREATE INDEX reference_places_district ON reference_places (district, category);

-- Who reminded a place to register, when and how.
CREATE TABLE reminders (
    id       UUID PRIMARY KEY,
    place_id UUID NOT NULL REFERENCES reference_places (id),
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    how      TEXT NOT NULL CHECK (how IN ('phone', 'visit', 'notice', 'sms')),
    note     TEXT NOT NULL
);
CREATE INDEX reminders_place ON reminders (place_id, at);

-- Matching the list to venues: by the district and name parts of their key.
CREATE INDEX venues_district_name ON venues (split_part(dedup_key, '|', 1), split_part(dedup_key, '|', 2));
