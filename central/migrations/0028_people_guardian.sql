-- A child registered without a document (R6) is filed under a number made from the guardian's;
-- the guardian is not a visit of their own. `guardian_hash` (the guardian number's lookup hash)
-- lets a trace of the guardian's number find the visits they made with the children they
-- registered: a re-trial's red guardian could not be found by her own number.
ALTER TABLE people ADD COLUMN guardian_hash BYTEA;
CREATE INDEX people_guardian ON people (guardian_hash) WHERE guardian_hash IS NOT NULL;
