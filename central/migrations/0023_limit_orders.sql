-- 限流令: the share of their capacity that the venues of a district (scope: the district's key) or
-- of the whole city (scope 'city') may admit, given at the console by that district's or the
-- city's office and pulled by the desks. A venue admits the smallest of its own share and the
-- orders over it (the core's `occupancy::Limit::under`).
CREATE TABLE limit_orders (
    scope   TEXT PRIMARY KEY,
    percent INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    set_at  TIMESTAMPTZ NOT NULL,
    set_by  TEXT NOT NULL
);

-- How many people are inside a venue at `now`, by the core's rule (`occupancy::inside`) at `moment`: each
-- person with a check-in the door let through (green) within the stay, not closed by a 离场.
-- The phone page's limit and the console's occupancy both count with it.
CREATE FUNCTION placecode_inside(venue UUID, moment TIMESTAMPTZ, stay INTEGER) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT person_id) FROM visits
     WHERE venue_id = venue AND at > moment - make_interval(mins => stay) AND at <= moment
       AND left_at IS NULL AND colour = 'green'
$$;

-- A place held at a full-but-one venue for a phone between the limit's check and its check-in
-- being stored (taken under a lock per venue, released once stored or after a minute): two
-- phones at the last place cannot both get it. Transient, so not written to the WAL.
CREATE UNLOGGED TABLE door_holds (
    venue_id UUID NOT NULL,
    phone_id UUID NOT NULL,
    until    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (venue_id, phone_id)
);
