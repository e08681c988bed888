-- A desk's green check-in of someone the centre holds as yellow or red (on the risk list, or a
-- colour kept from another desk) when it arrives: the desk let them in on a stale list, offline
-- (a trial: a red-listed visitor checked in at a desk that had never pulled the list stayed
-- green after the sync, and nobody was told), or it says green where it should not. Listed for
-- the district's supervisors (异常处置); no personal field: the visit is traced from here.
CREATE TABLE late_hits (
    visit_id UUID PRIMARY KEY,
    venue_id UUID NOT NULL,
    desk_id  UUID NOT NULL,
    colour   TEXT NOT NULL,
    visit_at TIMESTAMPTZ NOT NULL,
    found_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX late_hits_venue ON late_hits (venue_id, visit_at);
