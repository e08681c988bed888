-- Occupancy and 限流: a venue's limit as its desk sets it (the phone page keeps it), and when a
-- check-in ended (离场 at a desk).
ALTER TABLE venues ADD COLUMN capacity INTEGER, ADD COLUMN limit_percent INTEGER, ADD COLUMN stay_minutes INTEGER;
ALTER TABLE visits ADD COLUMN left_at TIMESTAMPTZ;
-- Every server process reloads a venue whose limit changed, as it does for its name.
DROP TRIGGER venues_served ON venues;
CREATE TRIGGER venues_served AFTER UPDATE OF name, status, supervision_phone, capacity, limit_percent, stay_minutes
    ON venues
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.supervision_phone IS DISTINCT FROM NEW.supervision_phone
        OR OLD.capacity IS DISTINCT FROM NEW.capacity OR OLD.limit_percent IS DISTINCT FROM NEW.limit_percent
        OR OLD.stay_minutes IS DISTINCT FROM NEW.stay_minutes)
    EXECUTE FUNCTION placecode_served_changed();
