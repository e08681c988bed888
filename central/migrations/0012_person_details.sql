-- Contact details as each source gave them, with when: a desk (`desk:<id>`) or a phone
-- (`phone:<id>`). `people` keeps the current details (from desks and the person's own phone,
-- newest wins, never by a time ahead of the server); what every source said stays here, sealed
-- (name, address and phone as one value bound to the person), so a rogue desk's rename neither
-- erases what others recorded nor goes unseen by tracing. Kept for the retention window.
CREATE TABLE person_details (
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    source    TEXT NOT NULL,
    details   TEXT NOT NULL,
    seen_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, source)
);
CREATE INDEX person_details_seen ON person_details (seen_at);
