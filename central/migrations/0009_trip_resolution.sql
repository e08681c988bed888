-- What became of a trip besides an arrival: 到达核验 (verified), 劝返 (turned_back), 作废
-- (cancelled), from the checkpoint that opened it. The note and the operator are sealed.
ALTER TABLE trips ADD COLUMN resolution TEXT;
ALTER TABLE trips ADD COLUMN resolved_at TIMESTAMPTZ;
ALTER TABLE trips ADD COLUMN resolution_note JSONB;
-- The desk that resolved it (only the desk that opened a trip may), and why supervision should
-- look at a trip: a crew member the centre finds yellow or red with no decision recorded at the
-- checkpoint.
ALTER TABLE trips ADD COLUMN resolved_desk UUID;
ALTER TABLE trips ADD COLUMN flag TEXT;
