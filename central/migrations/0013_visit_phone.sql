-- The phone a phone check-in came from: for a visit declared on a phone that is not the
-- person's own, tracing shows what that phone typed (person_details, unverified_phone:<id>).
ALTER TABLE visits ADD COLUMN phone_id UUID;
