-- Colours kept for people (赋色保持) reach desks as door tags too, in the risk list's epochs:
-- never the keyed hash, which any enrolled desk could match against every ID number.
ALTER TABLE raised ADD COLUMN tag BIGINT;
CREATE INDEX raised_tag ON raised (tag);
DELETE FROM changes WHERE kind IN ('raised', 'raised_cleared');
-- The next start begins an epoch whose snapshot carries the kept colours.
DELETE FROM changes WHERE kind IN ('risk_epoch', 'risk_tag');
DELETE FROM risk_epochs;
