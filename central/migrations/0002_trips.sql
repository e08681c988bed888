-- 货车闭环: trips opened at checkpoints, matched with arrivals at destinations.
CREATE TABLE trips (
    id                  UUID PRIMARY KEY,
    plate               TEXT NOT NULL,
    checkpoint_venue    UUID NOT NULL,
    destination_venue   UUID NOT NULL,
    checkpoint_desk     UUID NOT NULL,
    crew                JSONB NOT NULL,
    pass_number         TEXT NOT NULL DEFAULT '',
    entered_at          TIMESTAMPTZ NOT NULL,
    expected_departure  TIMESTAMPTZ,
    arrived_at          TIMESTAMPTZ,
    arrival_id          UUID
);
CREATE INDEX trips_plate ON trips (plate, entered_at);
CREATE INDEX trips_checkpoint ON trips (checkpoint_venue, entered_at);
CREATE INDEX trips_destination ON trips (destination_venue, entered_at);

-- Arrivals at destinations; `trip_id` NULL: no known trip (flagged for supervision).
CREATE TABLE arrivals (
    id        UUID PRIMARY KEY,
    plate     TEXT NOT NULL,
    venue_id  UUID NOT NULL,
    desk_id   UUID NOT NULL,
    trip_id   UUID,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX arrivals_plate ON arrivals (plate, at);
