-- Why a visit had its colour (a risk-list match, a temperature, an answer at the door) is health
-- data about a person: it is kept sealed with the data key, bound to the visit, like who helped.
-- Visits stored before this keep their reasons in clear until `admin reseal` seals them (or
-- retention deletes them); new visits leave `reasons` empty.
ALTER TABLE visits ADD COLUMN sealed_reasons TEXT;
ALTER TABLE visits ALTER COLUMN reasons SET DEFAULT '{}';
