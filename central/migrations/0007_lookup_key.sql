-- People, risk entries and kept colours are found by a keyed hash only the server holds (the
-- lookup key); desks keep theirs (the risk key) for door tags, and the centre keeps each entry's
-- desk hash sealed (`tag_input`) to compute tags. Rows from before are converted at start where
-- the person is on file (people: always; the document number is sealed here), and the rest stay
-- `legacy` (found by the desks' hash, as before) until the person appears or the list is
-- imported again.
ALTER TABLE people ADD COLUMN hash_v SMALLINT NOT NULL DEFAULT 1;
UPDATE people SET hash_v = 0;
ALTER TABLE risk ADD COLUMN tag_input TEXT;
ALTER TABLE risk ADD COLUMN legacy BOOLEAN NOT NULL DEFAULT false;
UPDATE risk SET legacy = true;
ALTER TABLE raised ADD COLUMN tag_input TEXT;
ALTER TABLE raised ADD COLUMN legacy BOOLEAN NOT NULL DEFAULT false;
UPDATE raised SET legacy = true;
ALTER TABLE phone_raised ADD COLUMN legacy BOOLEAN NOT NULL DEFAULT false;
UPDATE phone_raised SET legacy = true;
