-- What became of a trip besides an arrival: 到达核验 (verified), 劝返 (turned_back), 作废
-- (cancelled), from the checkpoint that opened it. The note and the operator are sealed.
ALTER TABLE trips ADD COLUMN resolution TEXT;
ALTER TABLE trips ADD COLUMN resolved_at TIMESTAMPTZ;
ALTER TABLE trips ADD COLUMN resolution_note JSONB;
