-- 扫码屏: an entrance may take only its screen's rotating code (a photo of a poster is refused),
-- and a check-in made with a live rotating code is marked present (到场核验).
ALTER TABLE codes ADD COLUMN rotating_only BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE visits ADD COLUMN present BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE phone_results ADD COLUMN present BOOLEAN NOT NULL DEFAULT false;
