-- Desk releases (docs/updates.md): packages signed where they were built, published by an
-- administrator (`placecode-central admin publish-release`), fetched by the desks. A package is
-- read in slices as it is sent, so it is stored outside the row's page and uncompressed
-- (a package is compressed already): a slice is then read without reading the rest.
CREATE TABLE desk_releases (
    format       TEXT NOT NULL CHECK (format IN ('deb', 'rpm')),
    arch         TEXT NOT NULL,
    version      TEXT NOT NULL,
    notes        TEXT NOT NULL,
    signature    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    package      BYTEA NOT NULL,
    -- The release key's id (minisign): desks ask for releases of the key they trust.
    key_id       TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Withdrawn releases are kept: a version once published is never published again.
    withdrawn_at TIMESTAMPTZ,
    PRIMARY KEY (format, arch, version)
);
ALTER TABLE desk_releases ALTER COLUMN package SET STORAGE EXTERNAL;
