-- Every server process holds the venue codes in memory (`phone/served.rs`) and is told of each
-- change to a code or a venue here, whoever made it (a desk's push, an administrator, a script).
CREATE FUNCTION placecode_served_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'codes' THEN
        PERFORM pg_notify('placecode_served', 'code:' || NEW.code);
    ELSE
        PERFORM pg_notify('placecode_served', 'venue:' || NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER codes_served AFTER INSERT OR UPDATE ON codes
    FOR EACH ROW EXECUTE FUNCTION placecode_served_changed();
-- Only what a phone is shown of a venue: its name, its approval, the supervision number.
CREATE TRIGGER venues_served AFTER UPDATE OF name, status, supervision_phone ON venues
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.supervision_phone IS DISTINCT FROM NEW.supervision_phone)
    EXECUTE FUNCTION placecode_served_changed();
