//! The desk's SQLite store. Every opening of the database happens in [`Store::open`], so that
//! encryption at rest (SQLCipher's `PRAGMA key`) can be added in one place.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

pub mod error;
pub mod export;
pub mod keys;
pub mod keystore;
pub mod session;

pub use error::{Error, Result};
use placecode_core::normalize;
use placecode_core::validate;
use placecode_core::venue::{Category, CodeKind, District, ValidVenue, Venue, VenueInput};
use placecode_core::Error as Rule;

/// Schema versions, applied in order at start. Never edit one that has shipped: add the next.
const MIGRATIONS: &[&str] = &[
    // 1: venues and desk settings.
    "CREATE TABLE venues (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        category      TEXT NOT NULL,
        name          TEXT NOT NULL,
        district      TEXT NOT NULL,
        address       TEXT NOT NULL,
        manager_name  TEXT NOT NULL,
        manager_phone TEXT NOT NULL,
        dedup_key     TEXT NOT NULL UNIQUE,
        address_key   TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX venues_similar ON venues (category, address_key);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: operators, people, the risk cache, visits and incidents (登记台).
    "CREATE TABLE operators (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        is_admin   INTEGER NOT NULL,
        pin_salt   BLOB NOT NULL,
        pin_hash   BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE people (
        id          TEXT PRIMARY KEY,
        id_number   TEXT NOT NULL UNIQUE,
        last4       TEXT NOT NULL,
        birth_year  INTEGER NOT NULL,
        name        TEXT NOT NULL,
        address     TEXT NOT NULL,
        phone       TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX people_last4 ON people (last4);
    CREATE TABLE risk_entries (
        id_hash    BLOB PRIMARY KEY,
        colour     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE visits (
        id                TEXT PRIMARY KEY,
        person_id         TEXT NOT NULL REFERENCES people (id),
        venue_id          TEXT NOT NULL REFERENCES venues (id),
        code              TEXT,
        way_in            TEXT NOT NULL,
        operator_id       TEXT REFERENCES operators (id),
        helper            TEXT,
        declaration       TEXT,
        trip_code_checked INTEGER NOT NULL,
        colour            TEXT NOT NULL,
        health_code       TEXT NOT NULL,
        reasons           TEXT NOT NULL,
        at                TEXT NOT NULL,
        desk_id           TEXT NOT NULL,
        sync_state        TEXT NOT NULL DEFAULT 'pending'
    );
    CREATE INDEX visits_at ON visits (at);
    CREATE INDEX visits_person ON visits (person_id, at);
    CREATE TABLE incidents (
        id           TEXT PRIMARY KEY,
        visit_id     TEXT NOT NULL UNIQUE REFERENCES visits (id),
        colour       TEXT NOT NULL,
        reason       TEXT NOT NULL,
        held_at      TEXT NOT NULL,
        reported_to  TEXT NOT NULL,
        reported_at  TEXT NOT NULL,
        operator_id  TEXT REFERENCES operators (id),
        status       TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        sync_state   TEXT NOT NULL DEFAULT 'pending',
        -- Incidents sync before anything else.
        sync_priority INTEGER NOT NULL DEFAULT 0
    );",
    // 3: venue codes, one per entrance or lane; a revoked code names its replacement.
    "CREATE TABLE codes (
        code           TEXT PRIMARY KEY,
        venue_id       TEXT NOT NULL REFERENCES venues (id),
        kind           TEXT NOT NULL,
        label          TEXT NOT NULL,
        key_id         INTEGER NOT NULL,
        serial         INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        revoked_at     TEXT,
        revoked_reason TEXT,
        replaced_by    TEXT REFERENCES codes (code)
    );
    CREATE UNIQUE INDEX codes_active_entrance ON codes (venue_id, label) WHERE revoked_at IS NULL;",
    // 4: the outbox (docs/sync.md): every record for the central server, queued in the writer's
    // transaction; what operators did with records the server refused; the server's venue review.
    "CREATE TABLE outbox (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        priority   INTEGER NOT NULL,
        record     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        state      TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected', 'discarded')),
        sent_at    TEXT,
        reason     TEXT,
        field      TEXT
    );
    CREATE INDEX outbox_pending ON outbox (state, priority);
    CREATE TABLE outbox_audit (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        record_id   TEXT NOT NULL,
        action      TEXT NOT NULL,
        note        TEXT NOT NULL,
        operator_id TEXT
    );
    ALTER TABLE venues ADD COLUMN review_status TEXT;
    ALTER TABLE venues ADD COLUMN review_reason TEXT;",
    // 5: 货车闭环: trips (opened here, or pulled: the other desk's half), arrivals, the
    // destinations published by the central server, and crews' phone pre-declarations.
    "CREATE TABLE trips (
        id                  TEXT PRIMARY KEY,
        plate               TEXT NOT NULL,
        checkpoint_venue_id TEXT NOT NULL,
        checkpoint_name     TEXT NOT NULL,
        destination_id      TEXT NOT NULL,
        destination_name    TEXT NOT NULL,
        crew                TEXT NOT NULL,
        pass_number         TEXT NOT NULL,
        entered_at          TEXT NOT NULL,
        expected_departure  TEXT,
        arrived_at          TEXT,
        origin              TEXT NOT NULL,
        -- HMACs of the crew's document numbers (the risk key), so either desk finds a trip by
        -- an ID number without holding it in clear.
        crew_hashes         TEXT NOT NULL DEFAULT '',
        sync_state          TEXT NOT NULL DEFAULT 'pending'
    );
    CREATE INDEX trips_plate ON trips (plate, entered_at);
    CREATE INDEX trips_destination ON trips (destination_id, arrived_at);
    CREATE TABLE arrivals (
        id         TEXT PRIMARY KEY,
        plate      TEXT NOT NULL,
        venue_id   TEXT NOT NULL,
        trip_id    TEXT,
        at         TEXT NOT NULL,
        sync_state TEXT NOT NULL DEFAULT 'pending'
    );
    CREATE TABLE destinations (
        id       TEXT PRIMARY KEY,
        name     TEXT NOT NULL,
        address  TEXT NOT NULL,
        district TEXT NOT NULL
    );
    CREATE TABLE predeclarations (
        id                TEXT PRIMARY KEY,
        plate             TEXT NOT NULL,
        venue_id          TEXT NOT NULL,
        crew              TEXT NOT NULL,
        at                TEXT NOT NULL,
        confirmed_trip_id TEXT
    );
    CREATE INDEX predeclarations_plate ON predeclarations (plate, at);",
    // 6: a person's document kind (truck crews carry passports and permits), and no address
    // for crews (their origin belongs to the trip). Crew visits queued or refused with the
    // origin squeezed into the address are repaired and sent again.
    "ALTER TABLE people ADD COLUMN document_kind TEXT NOT NULL DEFAULT 'resident_id';
    UPDATE people SET address = '' WHERE address LIKE '来源地：%';
    UPDATE outbox SET record = json_set(record, '$.body.person.address', ''),
        state = CASE WHEN state = 'rejected' AND field = 'person.address' THEN 'pending' ELSE state END,
        reason = CASE WHEN state = 'rejected' AND field = 'person.address' THEN NULL ELSE reason END
     WHERE kind = 'visit' AND state IN ('pending', 'rejected')
       AND json_extract(record, '$.body.person.address') LIKE '来源地：%';",
    // 7: raised colours kept for a person (赋色保持, R7), keyed like the risk cache (no ID in
    // clear); a visit that raised one carries it to the centre.
    "CREATE TABLE raised_colours (
        id_hash    BLOB PRIMARY KEY,
        colour     TEXT NOT NULL,
        until      TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE visits ADD COLUMN raised_colour TEXT;
    ALTER TABLE visits ADD COLUMN raised_until TEXT;
    -- A yellow or red person let go without a report: the reason (R7: never silently).
    ALTER TABLE incidents ADD COLUMN note TEXT NOT NULL DEFAULT '';",
    // 8: the desk keeps yellow and red risk entries only, and no reasons (what a stolen desk
    // gives away is who is listed, not why; green is the same as not listed).
    "DELETE FROM risk_entries WHERE colour = 'green';
    UPDATE risk_entries SET reason = '' WHERE reason <> '';",
    // 9: the risk list as door tags (`risk::Epoch`): a few bits of a memory-hard hash per entry,
    // no longer the HMAC a stolen desk could match against every ID number in minutes. The
    // entries of before are turned into tags by `migrate`, then dropped.
    "CREATE TABLE risk_tags (
        tag    INTEGER PRIMARY KEY,
        colour TEXT NOT NULL
    );",
    // 10: colours kept for people raised elsewhere (another desk, a phone) arrive as door tags
    // too; those raised here keep their keyed hash (the desk holds these people's numbers anyway)
    // and get their tag, so that a clearing by tag reaches them.
    "CREATE TABLE raised_tags (
        tag    INTEGER PRIMARY KEY,
        colour TEXT NOT NULL,
        until  TEXT NOT NULL
    );
    ALTER TABLE raised_colours ADD COLUMN tag INTEGER;
    CREATE INDEX raised_colours_tag ON raised_colours (tag);",
    // 11: what became of a trip besides an arrival (到达核验, 劝返, 作废; 'held' while a crew not
    // all green waits for the clerk's decision), the crew's visits (their incidents are found
    // through them) and the phone pre-declarations it confirms once decided.
    "ALTER TABLE trips ADD COLUMN resolution TEXT;
    ALTER TABLE trips ADD COLUMN resolved_at TEXT;
    ALTER TABLE trips ADD COLUMN resolution_note TEXT NOT NULL DEFAULT '';
    ALTER TABLE trips ADD COLUMN visit_ids TEXT NOT NULL DEFAULT '';
    ALTER TABLE trips ADD COLUMN predeclaration_ids TEXT NOT NULL DEFAULT '';",
    // 12: the administrator's list of 临时隔离点 and 上报对象 per venue, offered on the report form;
    // the record of every export of a day's check-ins.
    "CREATE TABLE incident_place_list (
        venue_id TEXT NOT NULL,
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (venue_id, kind, value)
    );
    -- Every export of a day's check-ins: who, when, which day, masked or full and why.
    CREATE TABLE export_audit (
        at          TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        day         TEXT NOT NULL,
        full        INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        rows        INTEGER NOT NULL
    );",
    // 13: where a phone pre-declaration says the truck is going (a destination venue's id; empty
    // when the crew chose 不在列表中).
    "ALTER TABLE predeclarations ADD COLUMN destination_id TEXT NOT NULL DEFAULT '';",
    // 14: an operator the administrator stopped (停用): kept for the records they made, never
    // signed in again until started again.
    "ALTER TABLE operators ADD COLUMN disabled_at TEXT;",
    // 15: people a phone registered with another document were pulled as 居民身份证 (the centre
    // did not name the kind), and their visits here were refused by the centre: the kind is put
    // right by the number's shape (a resident ID has 18 characters) and those visits sent again.
    "UPDATE people SET document_kind = CASE
            WHEN id_number GLOB '[HM][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN 'hk_macao_permit'
            WHEN id_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN 'taiwan_permit'
            WHEN length(id_number) = 15 AND id_number GLOB '[A-Z][A-Z][A-Z]*' THEN 'foreign_permanent_resident'
            ELSE 'passport' END
     WHERE document_kind = 'resident_id' AND length(id_number) <> 18;
    UPDATE outbox SET record = json_set(record, '$.body.person.document_kind', CASE
            WHEN json_extract(record, '$.body.person.document_number') GLOB '[HM][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN 'hk_macao_permit'
            WHEN json_extract(record, '$.body.person.document_number') GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' THEN 'taiwan_permit'
            WHEN length(json_extract(record, '$.body.person.document_number')) = 15 AND json_extract(record, '$.body.person.document_number') GLOB '[A-Z][A-Z][A-Z]*' THEN 'foreign_permanent_resident'
            ELSE 'passport' END),
        state = CASE WHEN state = 'rejected' AND field = 'person.document_number' THEN 'pending' ELSE state END,
        reason = CASE WHEN state = 'rejected' AND field = 'person.document_number' THEN NULL ELSE reason END
     WHERE kind = 'visit' AND state IN ('pending', 'rejected')
       AND coalesce(json_extract(record, '$.body.person.document_kind'), 'resident_id') = 'resident_id'
       AND length(json_extract(record, '$.body.person.document_number')) <> 18;",
    // 16: an entrance that takes only its 扫码屏's rotating code (a photo of a poster is refused).
    "ALTER TABLE codes ADD COLUMN rotating_only INTEGER NOT NULL DEFAULT 0;",
    // 17: occupancy and 限流: when a person left (离场), and each venue's limit.
    "ALTER TABLE visits ADD COLUMN left_at TEXT;
    ALTER TABLE visits ADD COLUMN present INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX visits_inside ON visits (venue_id, at) WHERE left_at IS NULL;
    CREATE TABLE venue_limits (
        venue_id     TEXT PRIMARY KEY REFERENCES venues (id),
        capacity     INTEGER NOT NULL,
        percent      INTEGER NOT NULL,
        stay_minutes INTEGER NOT NULL,
        updated_at   TEXT NOT NULL
    );",
    // 18: the 限流令 in force, pulled from the centre: by district key, or 'city' for the whole city.
    "CREATE TABLE limit_orders (
        scope   TEXT PRIMARY KEY,
        percent INTEGER NOT NULL,
        set_at  TEXT NOT NULL
    );",
    // 19: the oldest waiting record (the status bar's "未同步" age) found without reading every
    // waiting row: a week's backlog is a million rows.
    "CREATE INDEX outbox_pending_age ON outbox (state, created_at);",
    // 20: the name a form (declaration, 手工登记, a truck crew's) gave with its visit. The person's
    // name on file stays; lists show the visit's, so a form for a guessed number with a made-up
    // name does not show the name on file afterwards. NULL for a scan.
    "ALTER TABLE visits ADD COLUMN name TEXT;",
    // 21: a green check-in whose person the centre held as yellow or red when it arrived (pulled
    // as `late_hit`), and the operator's report of it (to whom, when, who).
    "ALTER TABLE visits ADD COLUMN late_colour TEXT;
    ALTER TABLE visits ADD COLUMN late_reported_to TEXT;
    ALTER TABLE visits ADD COLUMN late_reported_at TEXT;
    ALTER TABLE visits ADD COLUMN late_reported_by TEXT;
    CREATE INDEX visits_late ON visits (late_colour) WHERE late_colour IS NOT NULL;",
];

/// The name a list shows for a visit (`v`) of a person (`p`): the one declared with the visit by
/// a form, else the one on file.
macro_rules! visit_name {
    () => {
        "coalesce(v.name, p.name)"
    };
}
pub(crate) use visit_name;

const SERVED_VENUE: &str = "served_venue_id";
const SETUP_DONE: &str = "setup_done_at";
const SETUP_STARTED: &str = "setup_started_at";

/// The first operator of a desk with no venues: its guide (开始使用) begins.
fn begin_setup(conn: &Connection) -> Result<()> {
    let venues: i64 = conn.query_row("SELECT count(*) FROM venues", [], |r| r.get(0))?;
    if venues == 0 {
        set_setting(conn, SETUP_STARTED, &now())?;
    }
    Ok(())
}

mod checkin;
mod codes;
mod incidents;
mod occupancy;
mod operators;
mod outbox;
mod retention;
mod risk;
mod truck;
mod visits;

pub use checkin::{shanghai, CheckInContext, IncidentStatus, DEFAULT_IDLE_MINUTES};
pub use codes::{CodeCheck, PosterSettings, ScreenCode, VenueCode, Verdict, CHECKPOINT_LABEL};
pub use incidents::{Incident, IncidentInput, IncidentPlaceList, IncidentPlaces, LateHit};
pub use occupancy::{
    leaving_query, CheckOut, EntranceCount, EntranceRate, Leaving, Occupancy, Quarter, QueueView, DESK_ENTRANCE,
};
pub use operators::{sign_in_lockout, Operator, SIGN_IN_FREE_TRIES};
pub use outbox::{Enrolment, OutboxRow, RejectedRecord, SyncError, SyncProgress, SyncStatus};
pub use retention::{PurgeReport, DEFAULT_RETENTION_DAYS};
pub use risk::{RiskConfirm, DEFAULT_RISK_MAX_AGE_HOURS};
pub use truck::{
    Arrival, CrewLookup, CrewMember, Destination, PreDeclaration, Trip, TripBoard, TripInput, TripResolveInput,
    TripResult, TripStatus, DEFAULT_OVERDUE_HOURS,
};

/// For benchmarks that write a backlog in bulk: queues a visit exactly as a check-in does.
#[doc(hidden)]
pub fn bench_enqueue_visit(conn: &rusqlite::Connection, visit_id: &str) -> Result<()> {
    outbox::enqueue_visit(conn, visit_id)
}

/// The poster settings a new desk starts with.
pub mod codes_defaults {
    pub const BASE_URL: &str = super::codes::DEFAULT_BASE_URL;
    pub const SUPERVISION_PHONE: &str = super::codes::DEFAULT_SUPERVISION_PHONE;
}

pub mod dbkey;

pub struct Store {
    conn: Connection,
    /// Asks the centre about a person whose door tag matched (set by the desk's shell).
    risk_confirm: Option<risk::RiskConfirm>,
    /// The last answer, so one check-in (which decides twice: before and after a form) asks once.
    risk_answer: std::cell::RefCell<Option<risk::RiskAnswer>>,
    tag_memo: std::cell::RefCell<Option<risk::TagMemo>>,
}

impl Store {
    /// Opens (creating if needed) the encrypted database file and brings its schema up to
    /// date. The key comes from the system keystore (see [`dbkey`]); a plain database from an
    /// older desk is encrypted in place first, with nothing lost.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_keyed(path, std::env::var("PLACECODE_KEYSTORE").is_ok_and(|v| v == "file"))
    }

    /// As [`Store::open`], the key kept in the file beside the database whatever keystore runs
    /// (tests of a wrong or missing key file).
    #[doc(hidden)]
    pub fn open_with_key_file(path: &Path) -> Result<Store> {
        Store::open_keyed(path, true)
    }

    fn open_keyed(path: &Path, file_only: bool) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let state = file_state(path)?;
        let (key, _) = dbkey::load_or_create_with(path, state == FileState::Encrypted, file_only)?;
        if state == FileState::Plain {
            encrypt_in_place(path, &key)?;
        }
        Store::open_with(path, Some(&key))
    }

    /// Opens a database without encryption, as desks before encryption kept it. For tests of
    /// the migration only.
    #[doc(hidden)]
    pub fn open_unencrypted(path: &Path) -> Result<Store> {
        Store::open_with(path, None)
    }

    fn open_with(path: &Path, key: Option<&dbkey::DbKey>) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        create_private(path)?;
        let mut conn = Connection::open(path)?;
        if let Some(key) = key {
            conn.pragma_update(None, "key", key.pragma())?;
            // A wrong key shows at the first read ("file is not a database").
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
                .map_err(|_| Error::bad_file("数据库密钥与数据文件不符：请联系管理员，不要删除数据文件"))?;
        }
        // Deleted records (retention) are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        // WAL lets readers run beside the writer. NORMAL syncs at checkpoints, not at every
        // commit: a committed check-in survives a crash or kill of the app (the WAL is on disk),
        // and only a power cut can lose the last moments. A laptop's battery makes that rare,
        // and an fsync per check-in would cost more than the 2 ms a busy entrance can spare.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A writer waiting for the lock (a check-in while the sync acknowledges a batch) tries
        // again every millisecond, up to about 5 s: SQLite's own timeout backs off to 100 ms
        // between tries, so a check-in slept long past the moment the lock was free.
        conn.busy_handler(Some(retry_every_millisecond))?;
        migrate(&mut conn)?;
        let store = Store { conn, risk_confirm: None, risk_answer: Default::default(), tag_memo: Default::default() };
        store.desk_id()?;
        Ok(store)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// 场所登记 (R3). Rejects invalid input with every reason, an identical venue as a duplicate
    /// (一所一码), and similar venues unless `confirm_similar` says the user checked them.
    pub fn register_venue(&mut self, input: &VenueInput, confirm_similar: bool) -> Result<Venue> {
        let valid = validate::venue(input)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_unique(&tx, &valid, None, confirm_similar)?;
        let venue = insert(&tx, &valid)?;
        tx.commit()?;
        Ok(venue)
    }

    /// Corrects a venue: the same rules as registering, ignoring the venue itself.
    pub fn update_venue(&mut self, id: &str, input: &VenueInput, confirm_similar: bool) -> Result<Venue> {
        let valid = validate::venue(input)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now();
        check_unique(&tx, &valid, Some(id), confirm_similar)?;
        let changed = write_venue(
            &tx,
            "UPDATE venues SET kind=?2, category=?3, name=?4, district=?5, address=?6,
                manager_name=?7, manager_phone=?8, dedup_key=?9, address_key=?10, updated_at=?11
             WHERE id=?1",
            id,
            &valid,
            &now,
        )?;
        if changed == 0 {
            return Err(Error::not_found("场所"));
        }
        let venue = get(&tx, id)?;
        outbox::enqueue(&tx, &outbox::new_id(), outbox::venue_body(&tx, &venue)?)?;
        tx.commit()?;
        Ok(venue)
    }

    pub fn venue(&self, id: &str) -> Result<Venue> {
        get(&self.conn, id)
    }

    /// Venues matching `query` in name, address, manager, phone, category or district; the served
    /// venue first, then the most recently changed.
    pub fn venues(&self, query: &str) -> Result<Vec<Venue>> {
        self.venues_for(query, true)
    }

    /// [`Store::venues`], matching the manager's name and phone only when `contacts`: whoever
    /// sees them masked must not learn them from what a search finds (a phone number typed in
    /// whole finds its venue).
    pub fn venues_for(&self, query: &str, contacts: bool) -> Result<Vec<Venue>> {
        let q = normalize::clean(query);
        let mut sql = String::from(SELECT_VENUE);
        let mut args: Vec<String> = Vec::new();
        if !q.is_empty() {
            let like = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            args.push(like);
            sql.push_str(" WHERE (v.name LIKE ?1 ESCAPE '\\' OR v.address LIKE ?1 ESCAPE '\\'");
            if contacts {
                sql.push_str(" OR v.manager_name LIKE ?1 ESCAPE '\\' OR v.manager_phone LIKE ?1 ESCAPE '\\'");
            }
            let labelled = Category::ALL
                .iter()
                .filter(|c| c.label().contains(q.as_str()))
                .map(|c| c.key())
                .chain(District::ALL.iter().filter(|d| d.label().contains(q.as_str())).map(|d| d.key()));
            for key in labelled {
                args.push(key.to_owned());
                sql.push_str(&format!(" OR v.category = ?{n} OR v.district = ?{n}", n = args.len()));
            }
            sql.push(')');
        }
        sql.push_str(" ORDER BY served DESC, v.updated_at DESC, v.id DESC");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), venue_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks the venue this desk serves (本台服务场所); one at a time.
    pub fn set_served_venue(&mut self, id: &str) -> Result<Venue> {
        let tx = self.conn.transaction()?;
        let venue = get(&tx, id)?;
        set_setting(&tx, SERVED_VENUE, id)?;
        tx.commit()?;
        Ok(Venue { served: true, ..venue })
    }

    /// 开始使用: a new desk walks its administrator through its first steps (the venue it serves,
    /// its first poster, the centre) until they are done or put off, across restarts and
    /// sign-outs. It begins when the first operator is made on a desk with no venues; a desk that
    /// already held venues then (set up before the guide existed, or from a list) never sees it.
    pub fn setup_pending(&self) -> Result<bool> {
        Ok(setting(&self.conn, SETUP_STARTED)?.is_some() && setting(&self.conn, SETUP_DONE)?.is_none())
    }

    /// The guide is over (finished, or put off to 设置): it is not shown again.
    pub fn finish_setup(&mut self) -> Result<()> {
        set_setting(&self.conn, SETUP_DONE, &now())
    }

    pub fn served_venue(&self) -> Result<Option<Venue>> {
        let id: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [SERVED_VENUE], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => get(&self.conn, &id).map(Some).or_else(|e| match e {
                Error::Rule(Rule::NotFound(_)) => Ok(None),
                e => Err(e),
            }),
            None => Ok(None),
        }
    }

    /// Imports validated rows in one transaction; each row is all or nothing.
    /// Decodes, parses and imports a venue CSV (UTF-8 or GBK, as exported).
    pub fn import_venues_csv(&mut self, bytes: &[u8]) -> Result<placecode_core::import::ImportReport> {
        let text = placecode_core::import::decode(bytes)?;
        let placecode_core::import::ParsedCsv { rows, broken } = placecode_core::import::parse_venues(&text)?;
        let broken_count = broken.len();
        let mut report = self.import_venues(rows)?;
        report.total += broken_count;
        report.rejected.extend(broken);
        report.rejected.sort_by_key(|n| n.line);
        Ok(report)
    }

    fn import_venues(&mut self, rows: Vec<(u64, VenueInput)>) -> Result<placecode_core::import::ImportReport> {
        use placecode_core::import::{ImportReport, RowNote};
        let mut report = ImportReport { total: rows.len(), ..Default::default() };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (line, input) in rows {
            let name = normalize::clean(&input.name);
            let outcome = validate::venue(&input).map_err(Error::from).and_then(|valid| {
                let similar = match check_unique(&tx, &valid, None, false) {
                    Ok(()) => Vec::new(),
                    Err(Error::Rule(Rule::NearDuplicate(similar))) => similar,
                    Err(e) => return Err(e),
                };
                insert(&tx, &valid).map(|_| similar)
            });
            match outcome {
                Ok(similar) => {
                    report.imported += 1;
                    if !similar.is_empty() {
                        let names: Vec<_> = similar.iter().map(|v| v.name.as_str()).collect();
                        report.warnings.push(RowNote {
                            line,
                            name: name.clone(),
                            reasons: vec![format!("已导入，但与“{}”相似，请核对是否重复", names.join("”“"))],
                        });
                    }
                }
                Err(Error::Rule(Rule::Invalid(fields))) => report.rejected.push(RowNote {
                    line,
                    name,
                    reasons: fields.into_iter().map(|f| f.message).collect(),
                }),
                Err(e @ Error::Rule(Rule::Duplicate { .. })) => {
                    report.rejected.push(RowNote { line, name, reasons: vec![e.to_string()] })
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit()?;
        Ok(report)
    }
}

/// The lock of a desk's data folder (`desk.lock`), held while a desk (or the command line) works
/// on it: two processes on one database lose writes.
#[derive(Debug)]
pub struct DataLock(#[allow(dead_code)] std::fs::File);

/// Takes the lock of the data folder `dir`, waiting up to `wait` for another process to let go
/// (a desk restarting itself into an update); `None` when another holds it still.
pub fn lock_data_folder(dir: &Path, wait: std::time::Duration) -> Result<Option<DataLock>> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("desk.lock"))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        if file.try_lock().is_ok() {
            return Ok(Some(DataLock(file)));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// SQLite's busy handler: sleep a millisecond and try again, for about 5 s in all.
fn retry_every_millisecond(tries: i32) -> bool {
    std::thread::sleep(std::time::Duration::from_millis(1));
    tries < 5_000
}

/// A bare connection to the desk database at `path`, keyed as the desk keys it: for tests and
/// diagnostics that read tables directly. The desk itself goes through [`Store::open`].
#[doc(hidden)]
pub fn raw_connection(path: &Path) -> Result<Connection> {
    let state = file_state(path)?;
    let conn = Connection::open(path)?;
    if state != FileState::Plain {
        let (key, _) = dbkey::load_or_create(path, state == FileState::Encrypted)?;
        conn.pragma_update(None, "key", key.pragma())?;
    }
    Ok(conn)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    /// No file yet, or an empty one.
    New,
    /// A plain SQLite database (a desk from before encryption).
    Plain,
    Encrypted,
}

/// What the file at `path` holds, asked of SQLite itself. Never by opening the file beside it:
/// closing another descriptor of a file drops every POSIX lock this process holds on it, so a
/// desk's second connection (opened after the first) made its first's locks vanish for other
/// processes, and one of them opening the database took the desk's live WAL for its own, then
/// removed it (the desk's later writes lost, its new connections refused as "not a database").
fn file_state(path: &Path) -> Result<FileState> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => return Ok(FileState::New),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::New),
        Err(e) => return Err(e.into()),
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(FileState::Plain),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Ok(FileState::Encrypted)
        }
        Err(e) => Err(e.into()),
    }
}

/// Encrypts a plain database in place: every table copied into a new encrypted file
/// (`sqlcipher_export`), checked, then put in the old one's place; the old WAL goes with it.
/// A crash before the rename leaves the plain file as it was, to be encrypted at the next start.
fn encrypt_in_place(path: &Path, key: &dbkey::DbKey) -> Result<()> {
    let tmp = path.with_extension("encrypting");
    let _ = std::fs::remove_file(&tmp);
    create_private(&tmp)?;
    {
        let conn = Connection::open(path)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        conn.execute("ATTACH DATABASE ?1 AS enc KEY ?2", params![tmp.to_string_lossy(), key.pragma()])?;
        conn.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA enc.user_version = {version}; DETACH DATABASE enc;"))?;
        let check = Connection::open(&tmp)?;
        check.pragma_update(None, "key", key.pragma())?;
        let copied: i64 = check.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if copied != version {
            return Err(Error::bad_file("数据库加密迁移失败：请联系管理员"));
        }
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    Ok(())
}

/// The database holds names and ID numbers (R12): the file is readable by its owner only (an
/// older, wider file is narrowed), and SQLite gives its -wal and -shm files the same permissions.
fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let current: usize = tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.try_into().unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(current) {
        tx.execute_batch(sql)?;
    }
    if current < 9 && MIGRATIONS.len() >= 9 {
        risk::risk_entries_to_tags(&tx)?;
    }
    if current < 10 && MIGRATIONS.len() >= 10 {
        risk::tag_local_raises(&tx)?;
    }
    if current < MIGRATIONS.len() {
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn now() -> String {
    rfc3339(chrono::Utc::now())
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn address_key(v: &ValidVenue) -> String {
    format!("{}|{}", v.district.key(), normalize::comparable(&v.address))
}

const SELECT_VENUE: &str = "SELECT v.id, v.kind, v.category, v.name, v.district, v.address, v.manager_name,
        v.manager_phone, v.created_at, v.updated_at,
        v.id = (SELECT value FROM settings WHERE key = 'served_venue_id') AS served,
        CASE WHEN v.review_status = 'rejected' THEN COALESCE(v.review_reason, '') END AS rejected
    FROM venues v";

fn venue_from_row(r: &Row) -> rusqlite::Result<Venue> {
    fn parsed<T>(r: &Row, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
        let s: String = r.get(i)?;
        parse(&s).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("unknown key {s}").into())
        })
    }
    let manager_name: String = r.get(6)?;
    let manager_phone: String = r.get(7)?;
    Ok(Venue {
        manager_name_masked: placecode_core::mask::name(&manager_name),
        manager_phone_masked: placecode_core::mask::phone(&manager_phone),
        manager_name,
        manager_phone,
        id: r.get(0)?,
        kind: parsed(r, 1, CodeKind::parse)?,
        category: parsed(r, 2, Category::parse)?,
        name: r.get(3)?,
        district: parsed(r, 4, District::parse)?,
        address: r.get(5)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        served: r.get::<_, Option<bool>>(10)?.unwrap_or(false),
        rejected: r.get(11)?,
    })
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<Venue> {
    conn.query_row(&format!("{SELECT_VENUE} WHERE v.id = ?1"), [id], venue_from_row)
        .optional()?
        .ok_or(Error::not_found("场所"))
}

/// Runs an INSERT or UPDATE of a venue whose parameters are, in order: id, the seven fields,
/// the two comparison keys and the time. A UNIQUE violation is reported as the duplicate it is.
fn write_venue(conn: &Connection, sql: &str, id: &str, v: &ValidVenue, now: &str) -> Result<usize> {
    conn.execute(
        sql,
        params![
            id,
            v.kind.key(),
            v.category.key(),
            v.name,
            v.district.key(),
            v.address,
            v.manager_name,
            v.manager_phone,
            v.dedup_key(),
            address_key(v),
            now
        ],
    )
    .map_err(|e| unique_violation(conn, v, e))
}

fn insert(tx: &Transaction, v: &ValidVenue) -> Result<Venue> {
    let id = uuid::Uuid::now_v7().to_string();
    write_venue(
        tx,
        "INSERT INTO venues (id, kind, category, name, district, address, manager_name, manager_phone,
            dedup_key, address_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        &id,
        v,
        &now(),
    )?;
    let venue = get(tx, &id)?;
    outbox::enqueue(tx, &outbox::new_id(), outbox::venue_body(tx, &venue)?)?;
    Ok(venue)
}

/// A venue the centre sends this desk (enrolled for it: a second desk at a known venue, the desk
/// of a refused twin), kept as the centre holds it and not sent back unless edited here. One
/// already here (the same id, or the same 一所一码 key) stays as it is; one the desk's rules
/// refuse is skipped.
pub(crate) fn adopt_venue(conn: &Connection, b: &placecode_core::sync::VenueBody) -> Result<()> {
    let Ok((id, v, _)) = placecode_core::sync::check_venue(b) else {
        return Ok(());
    };
    write_venue(
        conn,
        "INSERT INTO venues (id, kind, category, name, district, address, manager_name, manager_phone,
            dedup_key, address_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) ON CONFLICT DO NOTHING",
        &id.to_string(),
        &v,
        &now(),
    )?;
    Ok(())
}

/// 一所一码 and the near-duplicate warning. `except` is the venue being edited.
fn check_unique(conn: &Connection, v: &ValidVenue, except: Option<&str>, confirm_similar: bool) -> Result<()> {
    if let Some(existing) = by_dedup_key(conn, &v.dedup_key())? {
        if Some(existing.id.as_str()) != except {
            return Err(duplicate(existing));
        }
    }
    if confirm_similar {
        return Ok(());
    }
    let mut stmt =
        conn.prepare(&format!("{SELECT_VENUE} WHERE v.category = ?1 AND v.address_key = ?2 AND v.id IS NOT ?3"))?;
    let name = normalize::comparable(&v.name);
    let similar: Vec<Venue> = stmt
        .query_map(params![v.category.key(), address_key(v), except], venue_from_row)?
        .filter_map(|r| r.ok())
        .filter(|other| names_similar(&name, &normalize::comparable(&other.name)))
        .collect();
    if similar.is_empty() {
        Ok(())
    } else {
        Err(Rule::NearDuplicate(similar).into())
    }
}

fn by_dedup_key(conn: &Connection, key: &str) -> Result<Option<Venue>> {
    Ok(conn.query_row(&format!("{SELECT_VENUE} WHERE v.dedup_key = ?1"), [key], venue_from_row).optional()?)
}

fn duplicate(existing: Venue) -> Error {
    Rule::Duplicate { existing_id: existing.id, existing_name: existing.name, existing_address: existing.address }
        .into()
}

/// A UNIQUE violation that slipped past the check (another writer in between) is still a duplicate.
fn unique_violation(conn: &Connection, v: &ValidVenue, e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            if let Ok(Some(existing)) = by_dedup_key(conn, &v.dedup_key()) {
                return duplicate(existing);
            }
        }
    }
    Error::Storage(e)
}

/// Names are similar when one contains the other, or they differ in at most a third of their
/// characters (大润发超市 / 大润发超巿).
pub fn names_similar(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    edit_distance(&a, &b) * 3 <= longest
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status bar's counts read the outbox's indexes, never its rows: a desk a week offline
    /// holds a million waiting records, and the count was read after every batch of a drain.
    #[test]
    fn the_outbox_counts_read_indexes_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {}", outbox::OUTBOX_COUNTS)).unwrap();
        let plan: Vec<String> =
            stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(plan.iter().filter(|p| p.contains("outbox")).count(), 3, "{plan:?}");
        for step in plan.iter().filter(|p| p.contains("outbox")) {
            assert!(step.starts_with("SEARCH outbox USING COVERING INDEX"), "{plan:?}");
        }
        assert!(plan.iter().any(|p| p.contains("outbox_pending_age")), "{plan:?}");
    }

    #[test]
    fn similar_names() {
        assert!(names_similar("大润发超市", "大润发超市鼓楼店"));
        assert!(names_similar("大润发超市", "大润发超巿"));
        assert!(!names_similar("大润发超市", "新玛特购物广场"));
        assert!(!names_similar("", "新玛特"));
    }

    /// An older desk's risk entries (HMACs) become door tags of a local epoch, keep their colour
    /// at the door, and the HMACs are gone.
    #[test]
    fn migration_9_turns_risk_hashes_into_door_tags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..8] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 8).unwrap();
            let key = [7u8; 32];
            set_setting(&conn, risk::RISK_KEY, &hex::encode(key)).unwrap();
            for (n, colour) in [("410202199003070014", "red"), ("11010519491231002X", "yellow")] {
                conn.execute(
                    "INSERT INTO risk_entries (id_hash, colour, reason, updated_at) VALUES (?1, ?2, '', 't')",
                    params![placecode_core::risk::id_hash(&key, n).to_vec(), colour],
                )
                .unwrap();
            }
        }
        let store = Store::open_unencrypted(&path).unwrap();
        assert_eq!(store.risk_entry_count().unwrap(), 2);
        let key = store.risk_key().unwrap();
        let red = store.risk_for(&key, "410202199003070014").unwrap().unwrap();
        assert_eq!(red.colour, placecode_core::decision::Colour::Red);
        assert_eq!(
            store.risk_for(&key, "11010519491231002X").unwrap().unwrap().colour,
            placecode_core::decision::Colour::Yellow
        );
        let gone: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'risk_entries'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(gone, 0);
    }

    /// A desk that typed in truck crews before migration 6 had their visits refused by the
    /// centre (the origin squeezed into the address as "来源地：…"): the migration clears the
    /// address and puts the refused visits back in the queue; other records are left alone.
    #[test]
    fn migration_6_repairs_crew_visits_refused_for_their_address() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute(
            "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at)
             VALUES ('p1', '410202199003070014', '0014', 1990, '赵强', '来源地：郑州', '13837800001', 't', 't')",
            [],
        )
        .unwrap();
        let body = |address: &str| {
            serde_json::json!({"id": "r", "kind": "visit", "body": {"person": {"address": address}}}).to_string()
        };
        for (id, address, state, field) in [
            ("refused", "来源地：郑州", "rejected", "person.address"),
            ("queued", "来源地：郑州", "pending", ""),
            ("other", "鼓楼区中山路1号", "rejected", "person.name"),
        ] {
            conn.execute(
                "INSERT INTO outbox (id, kind, priority, record, created_at, state, reason, field)
                 VALUES (?1, 'visit', 1, ?2, 't', ?3, '住址：含有不允许的字符“:”', ?4)",
                params![id, body(address), state, field],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let row = |id: &str| -> (String, String) {
            conn.query_row(
                "SELECT state, json_extract(record, '$.body.person.address') FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(row("refused"), ("pending".into(), String::new()));
        assert_eq!(row("queued"), ("pending".into(), String::new()));
        assert_eq!(row("other"), ("rejected".into(), "鼓楼区中山路1号".into()));
        let (address, kind): (String, String) =
            conn.query_row("SELECT address, document_kind FROM people", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((address.as_str(), kind.as_str()), ("", "resident_id"));
    }

    /// People a phone registered with another document were pulled as 居民身份证, and their
    /// visits at this desk refused by the centre: the kind is put right by the number's shape and
    /// the refused visits go again; a resident ID and other records are left alone.
    #[test]
    fn migration_15_files_phone_registered_documents_by_their_kind() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..14] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 14).unwrap();
        for (id, number) in [
            ("hk", "H12345678"),
            ("tw", "12345678"),
            ("pp", "X1234567A"),
            ("fpr", "USA410285061515"),
            ("rid", "410202199003070014"),
        ] {
            conn.execute(
                "INSERT INTO people (id, id_number, last4, birth_year, name, address, phone, created_at, updated_at)
                 VALUES (?1, ?2, '', 0, '王芳', '', NULL, 't', 't')",
                params![id, number],
            )
            .unwrap();
        }
        let body = |number: &str| {
            serde_json::json!({"id": "r", "kind": "visit", "body": {"person": {"document_kind": "resident_id", "document_number": number}}})
                .to_string()
        };
        for (id, number, state, field) in [
            ("refused", "H12345678", "rejected", "person.document_number"),
            ("queued", "12345678", "pending", ""),
            ("resident", "410202199003070014", "rejected", "person.name"),
        ] {
            conn.execute(
                "INSERT INTO outbox (id, kind, priority, record, created_at, state, reason, field)
                 VALUES (?1, 'visit', 2, ?2, 't', ?3, '居民身份证：应为18位，现为9位', ?4)",
                params![id, body(number), state, field],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let kind = |id: &str| -> String {
            conn.query_row("SELECT document_kind FROM people WHERE id = ?1", [id], |r| r.get(0)).unwrap()
        };
        assert_eq!(
            ["hk", "tw", "pp", "fpr", "rid"].map(kind),
            ["hk_macao_permit", "taiwan_permit", "passport", "foreign_permanent_resident", "resident_id"]
        );
        let row = |id: &str| -> (String, String) {
            conn.query_row(
                "SELECT state, json_extract(record, '$.body.person.document_kind') FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(row("refused"), ("pending".into(), "hk_macao_permit".into()));
        assert_eq!(row("queued"), ("pending".into(), "taiwan_permit".into()));
        assert_eq!(row("resident"), ("rejected".into(), "resident_id".into()));
    }
}
