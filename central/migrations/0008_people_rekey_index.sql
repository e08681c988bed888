-- `people::rekey` runs at every start and looks for people still under the desks' hash: an
-- index of those alone (empty once they have moved) keeps that from reading the whole table.
CREATE INDEX people_old_hash ON people (id) WHERE hash_v = 0;
