-- Check-ins counted by hour, district, category, colour and way in, for the console's activity
-- charts (R10): reading 10 million visits for every chart would take seconds. Each statement
-- that stores visits appends its counts to `activity_new` (append only: no row is locked, so
-- the door's batches never wait on each other here); the server folds them into `activity`
-- every minute. The counts outlive the visits' retention: they name no one.
CREATE TABLE activity (
    hour     TIMESTAMPTZ NOT NULL,
    district TEXT NOT NULL,
    category TEXT NOT NULL,
    colour   TEXT NOT NULL,
    way      TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (hour, district, category, colour, way)
);
CREATE TABLE activity_new (
    hour     TIMESTAMPTZ NOT NULL,
    district TEXT NOT NULL,
    category TEXT NOT NULL,
    colour   TEXT NOT NULL,
    way      TEXT NOT NULL,
    n        BIGINT NOT NULL
);

-- When each venue last had a check-in (coverage's "active in 24 hours / 7 days", the silent
-- venues): appended and folded the same way.
CREATE TABLE venue_seen (
    venue_id UUID PRIMARY KEY,
    last_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE venue_seen_new (
    venue_id UUID NOT NULL,
    last_at  TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION placecode_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO venue_seen_new (venue_id, last_at) SELECT venue_id, max(at) FROM stored GROUP BY venue_id;
    INSERT INTO activity_new (hour, district, category, colour, way, n)
    SELECT date_trunc('hour', s.at), coalesce(v.district, ''), coalesce(v.category, ''), s.colour,
           CASE WHEN s.source = 'phone' THEN 'phone' WHEN s.way_in = 'manual' THEN 'manual' ELSE 'desk' END,
           count(*)
    FROM stored s LEFT JOIN venues v ON v.id = s.venue_id
    GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END
$$;

CREATE TRIGGER visits_activity AFTER INSERT ON visits REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION placecode_activity();

-- The visits stored before this migration.
INSERT INTO venue_seen (venue_id, last_at) SELECT venue_id, max(at) FROM visits GROUP BY venue_id;
INSERT INTO activity (hour, district, category, colour, way, n)
SELECT date_trunc('hour', s.at), coalesce(v.district, ''), coalesce(v.category, ''), s.colour,
       CASE WHEN s.source = 'phone' THEN 'phone' WHEN s.way_in = 'manual' THEN 'manual' ELSE 'desk' END,
       count(*)
FROM visits s LEFT JOIN venues v ON v.id = s.venue_id
GROUP BY 1, 2, 3, 4, 5;
