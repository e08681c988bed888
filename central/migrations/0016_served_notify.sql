-- Every server process holds the venue codes and the desks' key ids in memory (`phone/served.rs`)
-- and is told of each change to a code, a venue or a desk here, whoever made it (a desk's push,
-- an administrator, a script), a deleted row included.
CREATE FUNCTION placecode_served_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'codes' THEN
        PERFORM pg_notify('placecode_served', 'code:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.code ELSE NEW.code END);
    ELSIF TG_TABLE_NAME = 'desks' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('placecode_served', 'desk:' || OLD.code_key_id::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('placecode_served', 'desk:' || NEW.code_key_id::text);
        END IF;
    ELSE
        PERFORM pg_notify('placecode_served', 'venue:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER codes_served AFTER INSERT OR UPDATE OR DELETE ON codes
    FOR EACH ROW EXECUTE FUNCTION placecode_served_changed();
-- A desk's key id: which codes could be genuine at all.
CREATE TRIGGER desks_served AFTER INSERT OR DELETE OR UPDATE OF code_key_id, revoked_at ON desks
    FOR EACH ROW EXECUTE FUNCTION placecode_served_changed();
CREATE TRIGGER venues_served_deleted AFTER DELETE ON venues
    FOR EACH ROW EXECUTE FUNCTION placecode_served_changed();
-- Only what a phone is shown of a venue: its name, its approval, the supervision number.
CREATE TRIGGER venues_served AFTER UPDATE OF name, status, supervision_phone ON venues
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.supervision_phone IS DISTINCT FROM NEW.supervision_phone)
    EXECUTE FUNCTION placecode_served_changed();
