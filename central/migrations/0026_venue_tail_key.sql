-- 一所一码 as people write one place twice (`placecode_core::venue::tail_key`): the city and
-- district written before the name and address dropped. A trial had a logistics park approved
-- as 祥符区豫东物流园 and as 豫东物流园 at one address, and a truck sent to one could not arrive at
-- the other. Written with every venue the desks send; a venue approved before has none until its
-- desk sends it again, and is matched by its exact key meanwhile.
ALTER TABLE venues ADD COLUMN tail_key TEXT;
CREATE INDEX venues_tail_key ON venues (tail_key) WHERE status = 'approved';
