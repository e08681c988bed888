-- A yellow or red person let go at the door with a recorded decision came in, and counts inside
-- as the desk counts them (`occupancy::Event::In`); a wrong scan (误扫) is closed by the desk at
-- once (a departure), and a person reported does not count. Before, the centre counted greens
-- only, so the phone page and the console saw fewer inside than the desk.
CREATE INDEX incidents_released_visit ON incidents (visit_id) WHERE status = 'released';

CREATE OR REPLACE FUNCTION placecode_inside_visits(venue UUID, moment TIMESTAMPTZ, stay INTEGER) RETURNS SETOF visits
LANGUAGE sql STABLE AS $$
    SELECT * FROM visits v
     WHERE v.venue_id = venue AND v.at > moment - make_interval(mins => stay) AND v.at <= moment + interval '1 minute'
       AND v.left_at IS NULL
       AND (v.colour = 'green'
            OR EXISTS (SELECT 1 FROM incidents i WHERE i.visit_id = v.id AND i.status = 'released'))
$$;
