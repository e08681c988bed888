-- Why a person was stopped (an incident's reason) and what was done (its notes, its steps'
-- notes) are health data: kept sealed with the data key in the same columns (`pc1.…`), bound to
-- the incident. A desk's code-signing secret is sealed too, in its own column; rows from before
-- keep theirs in `code_key_secret` until the server seals them at start.
ALTER TABLE desks ADD COLUMN code_key_sealed TEXT;
ALTER TABLE desks ALTER COLUMN code_key_secret DROP NOT NULL;
