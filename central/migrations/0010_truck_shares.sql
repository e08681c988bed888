-- 同车人员申报: a crew member's pre-declaration offers the others of the same truck a link (and
-- its QR) that opens the checkpoint's form with the truck's details filled in. The token is
-- random; what it fills in (plate, origin, entry point, destination, expected times) is sealed.
-- Kept one day.
CREATE TABLE truck_shares (
    token     TEXT PRIMARY KEY,
    venue_id  UUID NOT NULL REFERENCES venues (id),
    body      JSONB NOT NULL,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX truck_shares_at ON truck_shares (at);
