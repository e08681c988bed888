-- The risk list reaches desks as door tags (placecode::risk::Epoch): a few bits of a
-- memory-hard hash of each entry's id_hash under a salt that changes with every epoch. An epoch
-- is started when the list is replaced and at a set interval; its first change carries every tag,
-- and the changes of older epochs are deleted (a desk enrolling later pulls one snapshot).
CREATE TABLE risk_epochs (
    epoch      BIGSERIAL PRIMARY KEY,
    salt       BYTEA NOT NULL,
    bits       SMALLINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The entry's door tag in the current epoch.
ALTER TABLE risk ADD COLUMN tag BIGINT;
CREATE INDEX risk_tag ON risk (tag);
-- The desks' risk questions are counted from the audit log (a limit shared by every replica).
CREATE INDEX audit_log_actor_action_at ON audit_log (actor, action, at);
-- Desks used to get the entries' HMACs, which any enrolled desk could match against every ID
-- number: those changes go; the server starts the first epoch when it next starts.
DELETE FROM changes WHERE kind IN ('risk', 'risk_removed', 'risk_reset');
