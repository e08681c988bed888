-- Whose details of a person are on file: a desk's (the document in hand) outrank the person's own
-- phone's, whatever their times. A trial's stranger who was first to declare someone's number on
-- a phone held that person's name and phone in tracing until a newer record came; a desk's record
-- of the person, synced late, lost to it. 2 desk, 1 the person's own phone (and rows from
-- before, whose source is not known), 0 never written by a trusted source.
ALTER TABLE people ADD COLUMN details_rank SMALLINT NOT NULL DEFAULT 1;
