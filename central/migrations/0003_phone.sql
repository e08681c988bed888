-- The phone page (issue: one tap, one check-in).
-- A form carries a one-time token; its result is kept here, so a double tap or a re-sent form
-- shows the first result instead of storing another visit, and the result page is reached by
-- a redirect (a reload is harmless). Kept one day.
CREATE TABLE phone_results (
    id         UUID PRIMARY KEY,
    phone_id   UUID NOT NULL,
    form_token UUID NOT NULL,
    code       TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    shown      JSONB NOT NULL DEFAULT '[]',
    UNIQUE (phone_id, form_token)
);
CREATE INDEX phone_results_at ON phone_results (at);

-- Who a person is to the phone's owner (本人 for the first person a phone declares), and whether
-- the link is the person's own: made when the phone declared someone new to the centre. A phone
-- that declared an ID number already on file holds an unverified link: its declarations never
-- change the person's details, and a colour they raise stays on that phone.
ALTER TABLE phone_people ADD COLUMN relation TEXT NOT NULL DEFAULT '本人';
ALTER TABLE phone_people ADD COLUMN verified BOOLEAN NOT NULL DEFAULT true;

-- The supervision phone the venue's posters print, named on a phone's yellow or red result.
ALTER TABLE venues ADD COLUMN supervision_phone TEXT;
