-- 限流令: the share of their capacity that the venues of a district or of the whole city may
-- admit, given at the console and pulled by the desks. Scope keys (`occupancy::Order`): 'city'
-- (the city's over the whole city), 'city:<district>' (the city's over a district) and
-- '<district>' (the district's own over itself), so a district cannot loosen or lift what the
-- city ordered. A venue admits the smallest of its own share and the orders over it.
CREATE TABLE limit_orders (
    scope   TEXT PRIMARY KEY,
    percent INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    set_at  TIMESTAMPTZ NOT NULL,
    set_by  TEXT NOT NULL
);

-- The check-ins that count as inside a venue at `moment`, by the core's rule
-- (`occupancy::inside`): let through (green) within the stay, not closed by a 离场. A check-in
-- stamped up to a minute ahead (an app server's clock a little ahead of the database's) counts
-- already: at the door, counting one too many is safe, one too few is not.
CREATE FUNCTION placecode_inside_visits(venue UUID, moment TIMESTAMPTZ, stay INTEGER) RETURNS SETOF visits
LANGUAGE sql STABLE AS $$
    SELECT * FROM visits
     WHERE venue_id = venue AND at > moment - make_interval(mins => stay) AND at <= moment + interval '1 minute'
       AND left_at IS NULL AND colour = 'green'
$$;

-- How many people are inside: the phone page's limit and the console's occupancy count with it.
CREATE FUNCTION placecode_inside(venue UUID, moment TIMESTAMPTZ, stay INTEGER) RETURNS BIGINT
LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT person_id) FROM placecode_inside_visits(venue, moment, stay)
$$;

-- The places held at a venue with a limit for one submitted form, between the limit's check
-- and its check-in being stored (taken under a lock per venue, given back once stored or after
-- a minute): two forms at the last place cannot both get it, whether from two phones or one,
-- nor one form more people than there are places. Transient, so not written to the WAL.
CREATE UNLOGGED TABLE door_holds (
    venue_id UUID NOT NULL,
    id       UUID NOT NULL,
    places   INTEGER NOT NULL,
    until    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (venue_id, id)
);
