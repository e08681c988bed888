//! Places without a code (R10): the market regulator's list of places that should have one
//! (CSV in UTF-8 or GBK, or xlsx), matched to registered venues by the core's place key; the
//! places still without a live code, each with its reminders; and the venues whose codes have
//! been silent for 7 days.

use chrono::{DateTime, Utc};
use placecode_core::import::{ParsedCsv, RowNote};
use placecode_core::venue::{Category, District};
use sqlx::PgPool;
use uuid::Uuid;

use super::text as t;
use crate::audit::{self, Actor};
use crate::error::{CentralError, Result};
use crate::Keys;

/// A venue `v` that is the listed place `p` (`venue::listed_key`): the same district and name
/// (each past a city and district written before it: the venue's tail key, or its key before it
/// had one), and an address that ends with the place's (past its city and district).
pub(crate) const IS_THE_PLACE: &str = "split_part(v.dedup_key, '|', 1) = p.district
    AND split_part(coalesce(v.tail_key, v.dedup_key), '|', 2) = p.name_key
    AND right(split_part(v.dedup_key, '|', 3), length(p.address_key)) = p.address_key";

/// Contacts are sealed, bound to the place's key.
const CONTACT_NAME: &str = "place.contact_name";
const CONTACT_PHONE: &str = "place.contact_phone";

/// Reseals the places' contacts not under the current key (`prefix`); answers how many.
pub async fn reseal(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    data: &crate::fields::DataKeys,
    prefix: &str,
) -> Result<u64> {
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT id, place_key, contact_name, contact_phone FROM reference_places
         WHERE (contact_name <> '' AND contact_name NOT LIKE $1) OR (contact_phone <> '' AND contact_phone NOT LIKE $1)
         FOR UPDATE",
    )
    .bind(prefix)
    .fetch_all(&mut **tx)
    .await?;
    for (id, key, name, phone) in &rows {
        sqlx::query("UPDATE reference_places SET contact_name = $2, contact_phone = $3 WHERE id = $1")
            .bind(id)
            .bind(data.reseal(CONTACT_NAME, key.as_bytes(), name)?)
            .bind(data.reseal(CONTACT_PHONE, key.as_bytes(), phone)?)
            .execute(&mut **tx)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Rows one file may hold (a district's list; a city's is imported district by district).
pub const MAX_ROWS: usize = 50_000;

/// What an import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Imported {
    pub total: usize,
    pub added: usize,
    pub updated: usize,
    pub rejected: Vec<RowNote>,
    /// Rows taken with something to check (an unknown category counted as 其他).
    pub notes: Vec<RowNote>,
}

/// The cells of a spreadsheet's first sheet, as text.
fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    use calamine::Reader;
    let bad = || CentralError::Invalid { field: "file".into(), message: t::PLACES_BAD_XLSX.into() };
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
    let sheet = book.worksheet_range_at(0).ok_or_else(bad)?.map_err(|_| bad())?;
    Ok(sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect())
}

/// The rows of an uploaded list: xlsx by its signature (a zip), else CSV.
fn parse(bytes: &[u8]) -> Result<ParsedCsv> {
    let bad = |e: placecode_core::Error| CentralError::Invalid { field: "file".into(), message: e.to_string() };
    if bytes.len() > placecode_core::import::MAX_FILE_BYTES {
        return Err(CentralError::Invalid { field: "file".into(), message: t::PLACES_TOO_BIG.into() });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return placecode_core::import::places_from_cells(xlsx_cells(bytes)?).map_err(bad);
    }
    let text = placecode_core::import::decode(bytes).map_err(bad)?;
    placecode_core::import::parse_places(&text).map_err(bad)
}

/// A row checked: (its key, district, category, name, address, contact name, contact phone).
type Checked = (placecode_core::venue::ListedKey, District, Category, String, String, String, String);

/// A district as lists write it: its key or name, or its name without 区, 县 or 回族区 (龙亭,
/// 顺河区), as long as that names one district only.
fn district(raw: &str) -> Option<District> {
    if let Some(d) = District::parse(raw) {
        return Some(d);
    }
    let short = |s: &str| {
        let s = placecode_core::normalize::comparable(s);
        ["回族区", "区", "县"].iter().find_map(|x| s.strip_suffix(x).map(str::to_owned)).unwrap_or(s)
    };
    let typed = short(raw);
    if typed.is_empty() {
        return None;
    }
    let mut found = District::ALL.iter().filter(|d| short(d.label()) == typed);
    match (found.next(), found.next()) {
        (Some(d), None) => Some(*d),
        _ => None,
    }
}

fn check(
    row: &placecode_core::venue::VenueInput,
    scope: Option<District>,
) -> (Option<Checked>, Vec<String>, Vec<String>) {
    use placecode_core::normalize::{clean, compact};
    let (mut reasons, mut notes) = (Vec::new(), Vec::new());
    let (name, address) = (clean(&row.name), clean(&row.address));
    let district = district(&row.district);
    match district {
        None if clean(&row.district).is_empty() => reasons.push(t::PLACES_DISTRICT_REQUIRED.into()),
        None => reasons.push(format!("{}：“{}”{}", t::PLACES_DISTRICT, clean(&row.district), t::PLACES_NOT_A_DISTRICT)),
        Some(d) if scope.is_some_and(|s| s != d) => reasons.push(t::PLACES_OTHER_DISTRICT.into()),
        Some(_) => {}
    }
    // The name and address are held to the rules a venue's are (one rule, one place): a place
    // on the list is a venue that should register.
    use placecode_core::validate;
    let name = match validate::venue_name(&row.name) {
        Ok(n) => n,
        Err(e) => {
            reasons.push(format!("{}：{e}", t::PLACES_NAME));
            name
        }
    };
    let address = match validate::address(&row.address, district) {
        Ok(a) => a,
        Err(e) => {
            reasons.push(format!("{}：{e}", t::PLACES_ADDRESS));
            address
        }
    };
    let category = Category::parse(&row.category).unwrap_or_else(|| {
        let typed = clean(&row.category);
        notes.push(if typed.is_empty() {
            t::PLACES_NO_CATEGORY.into()
        } else {
            format!("“{typed}”{}", t::PLACES_UNKNOWN_CATEGORY)
        });
        Category::Other
    });
    let contact = clean(&row.manager_name).chars().take(20).collect::<String>();
    if let Some(c) = contact.chars().find(|c| c.is_control() || "<>\"'`;".contains(*c)) {
        reasons.push(format!("{}：{}", t::PLACES_CONTACT_NAME, placecode_core::normalize::forbidden(c)));
    }
    // A phone, when there is one, is a mobile or a Kaifeng landline, as a venue's is.
    let phone = match compact(&row.manager_phone) {
        p if p.is_empty() => p,
        p => validate::phone(&p).unwrap_or_else(|e| {
            reasons.push(format!("{}：{e}", t::PLACES_CONTACT_PHONE));
            p
        }),
    };
    match district {
        Some(d) if reasons.is_empty() => {
            let key = placecode_core::venue::listed_key(d, &name, &address);
            (Some((key, d, category, name, address, contact, phone)), reasons, notes)
        }
        _ => (None, reasons, notes),
    }
}

/// Imports (or updates) the list; `scope` holds a district's supervisor to their district.
/// Nothing is saved when the file cannot be read; a row with a fault is reported and skipped.
pub async fn import(
    pool: &PgPool,
    keys: &Keys,
    actor: &Actor,
    scope: Option<District>,
    bytes: &[u8],
) -> Result<Imported> {
    let ParsedCsv { rows, broken } = parse(bytes)?;
    if rows.len() + broken.len() > MAX_ROWS {
        return Err(CentralError::Invalid { field: "file".into(), message: t::PLACES_TOO_MANY.into() });
    }
    let mut report = Imported { total: rows.len() + broken.len(), rejected: broken, ..Imported::default() };
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    for (line, row) in &rows {
        let note =
            |reasons: Vec<String>| RowNote { line: *line, name: placecode_core::normalize::clean(&row.name), reasons };
        let (checked, reasons, notes) = check(row, scope);
        let Some((key, district, category, name, address, contact, phone)) = checked else {
            report.rejected.push(note(reasons));
            continue;
        };
        if let Some(first) = seen.get(&key.key) {
            report.rejected.push(note(vec![format!("{}{first}{}", t::PLACES_SAME_AS, t::PLACES_SAME_AS_END)]));
            continue;
        }
        seen.insert(key.key.clone(), *line);
        if !notes.is_empty() {
            report.notes.push(note(notes));
        }
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO reference_places (id, place_key, district, category, name, address, contact_name, contact_phone,
                 imported_at, imported_by, name_key, address_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (place_key) DO UPDATE SET category = EXCLUDED.category, contact_name = EXCLUDED.contact_name,
                 contact_phone = EXCLUDED.contact_phone, imported_at = EXCLUDED.imported_at, imported_by = EXCLUDED.imported_by
             RETURNING xmax = 0",
        )
        .bind(Uuid::now_v7())
        .bind(&key.key)
        .bind(district.key())
        .bind(category.key())
        .bind(&name)
        .bind(&address)
        .bind(keys.data.seal(CONTACT_NAME, key.key.as_bytes(), &contact)?)
        .bind(keys.data.seal(CONTACT_PHONE, key.key.as_bytes(), &phone)?)
        .bind(now)
        .bind(&actor.name)
        .bind(&key.name)
        .bind(&key.address)
        .fetch_one(&mut *tx)
        .await?;
        if inserted {
            report.added += 1;
        } else {
            report.updated += 1;
        }
    }
    let params = serde_json::json!({ "added": report.added, "updated": report.updated,
        "rejected": report.rejected.len(), "district": scope.map(District::key) });
    audit::write(&mut *tx, actor, "import_places", params, report.added + report.updated).await?;
    tx.commit().await?;
    Ok(report)
}

/// A place on the list with no live code yet, as the page and the export show it.
#[derive(Debug, Clone)]
pub struct Missing {
    pub id: Uuid,
    pub district: String,
    pub category: String,
    pub name: String,
    pub address: String,
    pub contact: String,
    pub phone: String,
    /// 未登记, 已登记未通过审核 or 已登记未发码.
    pub status: &'static str,
    pub reminders: i64,
    /// The last reminder: when, how, by whom.
    pub last: Option<String>,
}

type MissingRow = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    i64,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The places of the list (in `scope`) that have no venue with a live code, at most `limit`.
pub async fn missing(db: &PgPool, keys: &Keys, scope: Option<District>, limit: i64) -> Result<Vec<Missing>> {
    let rows: Vec<MissingRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.district, p.category, p.name, p.address, p.place_key, p.contact_name, p.contact_phone,
                v.status, coalesce(v.coded, false), coalesce(r.n, 0), r.at, r.how, r.actor, r.note
         FROM reference_places p
         LEFT JOIN LATERAL (
             SELECT v.status, EXISTS (SELECT 1 FROM codes c WHERE c.venue_id = v.id AND c.revoked_at IS NULL) AS coded
             FROM venues v WHERE {IS_THE_PLACE} ORDER BY (v.status = 'approved') DESC LIMIT 1
         ) v ON true
         LEFT JOIN LATERAL (
             SELECT count(*) OVER () AS n, at, how, actor, note FROM reminders WHERE place_id = p.id ORDER BY at DESC LIMIT 1
         ) r ON true
         WHERE ($1::text IS NULL OR p.district = $1) AND NOT (v.status IS NOT DISTINCT FROM 'approved' AND coalesce(v.coded, false))
         ORDER BY p.district, p.category, p.name LIMIT $2"
    ))
    .bind(scope.map(District::key))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(id, district, category, name, address, key, contact, phone, status, coded, n, at, how, actor, note)| {
            Ok(Missing {
                id,
                district: District::parse(&district).map_or(district, |d| d.label().to_owned()),
                category: Category::parse(&category).map_or(category, |c| c.label().to_owned()),
                name,
                address,
                contact: keys.data.open(CONTACT_NAME, key.as_bytes(), &contact)?,
                phone: keys.data.open(CONTACT_PHONE, key.as_bytes(), &phone)?,
                status: match (status.as_deref(), coded) {
                    (None, _) => t::PLACES_UNREGISTERED,
                    (Some("approved"), _) => t::PLACES_NO_CODE,
                    _ => t::PLACES_NOT_APPROVED,
                },
                reminders: n,
                last: at.map(|at| {
                    let how = how_label(how.as_deref().unwrap_or_default());
                    let who = reminded_by(actor.as_deref().unwrap_or_default());
                    let note = note.filter(|n| !n.is_empty()).map(|n| format!("：{n}")).unwrap_or_default();
                    format!("{} {how} · {who}{note}", super::beijing(at))
                }),
            })
        })
        .collect()
}

/// A way of reminding (phone, visit…) as the pages say it; "" for one no longer offered.
fn how_label(how: &str) -> &'static str {
    t::REMIND_HOW.iter().find(|(k, _)| *k == how).map_or("", |(_, label)| label)
}

/// Who reminded, by their console login (the audit log's actor without its prefix).
fn reminded_by(actor: &str) -> &str {
    actor.trim_start_matches(super::account::ACTOR_PREFIX)
}

/// Logs a reminder to a place in `scope` (电话, 上门, 书面通知 or 短信) with a note.
pub async fn remind(
    pool: &PgPool,
    actor: &Actor,
    scope: Option<District>,
    place: Uuid,
    how: &str,
    raw_note: &str,
) -> Result<()> {
    let bad = |field: &str, message: String| CentralError::Invalid { field: field.into(), message };
    if !t::REMIND_HOW.iter().any(|(k, _)| *k == how) {
        return Err(bad("how", t::REMIND_BAD_HOW.into()));
    }
    let note = placecode_core::normalize::clean(raw_note);
    placecode_core::sync::text("note", t::REMIND_NOTE, &note, 100).map_err(CentralError::invalid)?;
    let mut tx = pool.begin().await?;
    let district: Option<String> = sqlx::query_scalar("SELECT district FROM reference_places WHERE id = $1")
        .bind(place)
        .fetch_optional(&mut *tx)
        .await?;
    match (district, scope) {
        (None, _) => return Err(CentralError::NotFound(t::THE_PLACE)),
        (Some(d), Some(s)) if d != s.key() => return Err(CentralError::NotFound(t::THE_PLACE)),
        _ => {}
    }
    sqlx::query("INSERT INTO reminders (id, place_id, at, actor, how, note) VALUES ($1, $2, now(), $3, $4, $5)")
        .bind(Uuid::now_v7())
        .bind(place)
        .bind(&actor.name)
        .bind(how)
        .bind(&note)
        .execute(&mut *tx)
        .await?;
    audit::write(&mut *tx, actor, "remind_place", serde_json::json!({ "place": place, "how": how }), 1).await?;
    tx.commit().await?;
    Ok(())
}

/// A venue whose codes have had no check-in for 7 days (codes older than that).
#[derive(Debug, Clone)]
pub struct Silent {
    pub district: String,
    pub category: String,
    pub name: String,
    pub manager: String,
    pub phone: String,
    pub since: String,
    pub last: String,
}

type SilentRow = (Uuid, String, String, String, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub async fn silent(
    db: &PgPool,
    keys: &Keys,
    scope: Option<District>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Silent>> {
    let rows: Vec<SilentRow> = sqlx::query_as(
        "WITH seen AS (
             SELECT venue_id, max(last_at) AS last_at
             FROM (SELECT * FROM venue_seen UNION ALL SELECT * FROM venue_seen_new) s GROUP BY venue_id
         )
         SELECT v.id, v.district, v.category, v.name, v.manager_name, v.manager_phone, min(c.created_at), max(s.last_at)
         FROM venues v JOIN codes c ON c.venue_id = v.id AND c.revoked_at IS NULL
         LEFT JOIN seen s ON s.venue_id = v.id
         WHERE v.status = 'approved' AND ($1::text IS NULL OR v.district = $1)
         GROUP BY v.id
         HAVING min(c.created_at) < $2 - interval '7 days'
            AND coalesce(max(s.last_at), '-infinity') <= $2 - interval '7 days'
         ORDER BY v.district, v.category, v.name LIMIT $3",
    )
    .bind(scope.map(District::key))
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(id, district, category, name, manager, phone, since, last)| {
            Ok(Silent {
                district: District::parse(&district).map_or(district, |d| d.label().to_owned()),
                category: Category::parse(&category).map_or(category, |c| c.label().to_owned()),
                name,
                manager: keys.data.open(crate::fields::MANAGER_NAME, id.as_bytes(), &manager)?,
                phone: keys.data.open(crate::fields::MANAGER_PHONE, id.as_bytes(), &phone)?,
                since: super::beijing(since),
                last: last.map_or_else(|| t::NEVER.to_owned(), super::beijing),
            })
        })
        .collect()
}

/// One reminder as the log shows it.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub at: String,
    pub district: String,
    pub place: String,
    pub how: &'static str,
    pub who: String,
    pub note: String,
}

/// Every reminder to the listed places in `scope`, newest first (at most `limit`).
pub async fn reminders(db: &PgPool, scope: Option<District>, limit: i64) -> Result<Vec<Reminder>> {
    let rows: Vec<(DateTime<Utc>, String, String, String, String, String)> = sqlx::query_as(
        "SELECT r.at, p.district, p.name, r.how, r.actor, r.note FROM reminders r JOIN reference_places p ON p.id = r.place_id
         WHERE $1::text IS NULL OR p.district = $1 ORDER BY r.at DESC LIMIT $2",
    )
    .bind(scope.map(District::key))
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, district, place, how, who, note)| Reminder {
            at: super::beijing(at),
            district: District::parse(&district).map_or(district, |d| d.label().to_owned()),
            place,
            how: how_label(&how),
            who: reminded_by(&who).to_owned(),
            note,
        })
        .collect())
}

/// The lists as one workbook: places without a code, silent venues (contacts masked unless
/// `full`), and every reminder.
pub fn xlsx(missing: &[Missing], silent: &[Silent], reminders: &[Reminder], full: bool) -> Result<Vec<u8>> {
    use placecode_core::mask;
    let show = |name: &str, phone: &str| {
        if full {
            (name.to_owned(), phone.to_owned())
        } else {
            (mask::name(name), if phone.is_empty() { String::new() } else { mask::phone(phone) })
        }
    };
    use super::export::{Cell, Sheet};
    let missing_rows = missing
        .iter()
        .map(|m| {
            let (c, p) = show(&m.contact, &m.phone);
            let cells: Vec<Cell> = vec![
                m.district.as_str().into(),
                m.category.as_str().into(),
                m.name.as_str().into(),
                m.address.as_str().into(),
                c.into(),
                p.into(),
                m.status.into(),
                m.reminders.into(),
                m.last.clone().unwrap_or_default().into(),
            ];
            (cells, false)
        })
        .collect();
    let silent_rows = silent
        .iter()
        .map(|s| {
            let (c, p) = show(&s.manager, &s.phone);
            let cells: Vec<Cell> = vec![
                s.district.as_str().into(),
                s.category.as_str().into(),
                s.name.as_str().into(),
                c.into(),
                p.into(),
                s.since.as_str().into(),
                s.last.as_str().into(),
            ];
            (cells, false)
        })
        .collect();
    let reminder_rows = reminders
        .iter()
        .map(|r| {
            let cells: Vec<Cell> = vec![
                r.at.as_str().into(),
                r.district.as_str().into(),
                r.place.as_str().into(),
                r.how.into(),
                r.who.as_str().into(),
                r.note.as_str().into(),
            ];
            (cells, false)
        })
        .collect();
    super::export::workbook(vec![
        Sheet { name: t::PLACES_SHEET, headers: &t::PLACES_HEADERS, rows: missing_rows },
        Sheet { name: t::SILENT_SHEET, headers: &t::SILENT_HEADERS, rows: silent_rows },
        Sheet { name: t::REMINDERS_SHEET, headers: &t::REMINDERS_HEADERS, rows: reminder_rows },
    ])
}

// ---- the page ----------------------------------------------------------------------------------

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{message, render, see_other, Chrome, Session};
use crate::App;

/// Rows a page shows at most (the export has them all).
const SHOWN: i64 = 1000;
/// Rows an export holds at most.
const EXPORTED: i64 = 200_000;

struct PlacesText {
    note: &'static str,
    more: &'static str,
    imported: &'static str,
    import: &'static str,
    file_hint: &'static str,
    upload: &'static str,
    all_districts: &'static str,
    show: &'static str,
    export: &'static str,
    export_full: &'static str,
    list: &'static str,
    none: &'static str,
    no_list: &'static str,
    shown_first: &'static str,
    headers: [&'static str; 9],
    remind: &'static str,
    how: &'static str,
    hows: [(&'static str, &'static str); 4],
    remind_note: &'static str,
    note_hint: &'static str,
    silent_title: &'static str,
    silent_note: &'static str,
    silent_none: &'static str,
    silent_headers: [&'static str; 7],
}

const TEXT: PlacesText = PlacesText {
    note: t::PLACES_NOTE,
    more: t::PLACES_MORE_ROWS,
    imported: t::PLACES_IMPORTED,
    import: t::PLACES_IMPORT,
    file_hint: t::PLACES_FILE_HINT,
    upload: t::PLACES_UPLOAD,
    all_districts: t::ALL_DISTRICTS,
    show: t::SHOW,
    export: t::PLACES_EXPORT,
    export_full: t::PLACES_EXPORT_FULL,
    list: t::PLACES_LIST,
    none: t::PLACES_NONE,
    no_list: t::PLACES_NO_LIST,
    shown_first: t::PLACES_SHOWN_FIRST,
    headers: t::PLACES_HEADERS,
    remind: t::REMIND,
    how: t::REMIND_HOW_LABEL,
    hows: t::REMIND_HOW,
    remind_note: t::REMIND_NOTE,
    note_hint: t::REMIND_NOTE_HINT,
    silent_title: t::SILENT_TITLE,
    silent_note: t::SILENT_NOTE,
    silent_none: t::SILENT_NONE,
    silent_headers: t::SILENT_HEADERS,
};

#[derive(Template)]
#[template(path = "console/places.html")]
struct PlacesPage<'a> {
    chrome: Chrome<'a>,
    t: PlacesText,
    done: Option<&'a str>,
    error: Option<String>,
    report: Option<Imported>,
    districts: Option<Vec<(&'static str, &'static str, bool)>>,
    export: String,
    export_full: String,
    missing: Vec<Missing>,
    silent: Vec<Silent>,
    /// Places of the regulator's list in view: none means nothing to compare with, not none
    /// missing.
    listed: i64,
}

/// What the page says besides the lists.
#[derive(Default)]
struct Said<'a> {
    done: Option<&'a str>,
    error: Option<String>,
    report: Option<Imported>,
}

async fn page(
    app: &App,
    status: StatusCode,
    session: &Session,
    district: Option<District>,
    said: Said<'_>,
) -> Response {
    let lists = async {
        let missing = missing(&app.reads, &app.keys, district, SHOWN).await?;
        let silent = silent(&app.reads, &app.keys, district, Utc::now(), SHOWN).await?;
        let listed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM reference_places WHERE $1::text IS NULL OR district = $1")
                .bind(district.map(District::key))
                .fetch_one(&app.reads)
                .await?;
        Ok::<_, CentralError>((missing, silent, listed))
    };
    let (missing, silent, listed) = match lists.await {
        Ok(l) => l,
        Err(e) => return super::server_error(app, Some(session), e),
    };
    let p = PlacesPage {
        chrome: Chrome::new(app, t::PLACES_TITLE, Some(session), "/console/places"),
        t: TEXT,
        done: said.done,
        error: said.error,
        report: said.report,
        districts: super::district_choices(&session.user, district),
        export: super::export_link("/console/places.xlsx", district, false),
        export_full: super::export_link("/console/places.xlsx", district, true),
        missing,
        silent,
        listed,
    };
    render(app, status, &p.chrome.nonce, p.render())
}

pub async fn show(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervised_view(&app, peer, &headers, &q, "console_places").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let done = q.contains_key("reminded").then_some(t::REMIND_DONE);
    page(&app, StatusCode::OK, &session, district, Said { done, ..Said::default() }).await
}

pub async fn upload(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let (session, scope) = match super::supervisor(&app, &headers, None).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (mut token, mut file) = (String::new(), None::<Bytes>);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => token = field.text().await.unwrap_or_default(),
                Some("file") => file = field.bytes().await.ok(),
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                let too_big = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                let message = if too_big { t::PLACES_TOO_BIG } else { t::PLACES_BAD_UPLOAD };
                let said = Said { error: Some(message.into()), ..Said::default() };
                return page(&app, StatusCode::BAD_REQUEST, &session, scope, said).await;
            }
        }
    }
    if !super::sent_from_here(&app, &session, &headers, &token) {
        return message(&app, StatusCode::FORBIDDEN, Some(&session), t::FORBIDDEN_TITLE, t::FOREIGN_FORM);
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let said = Said { error: Some(t::PLACES_NO_FILE.into()), ..Said::default() };
        return page(&app, StatusCode::BAD_REQUEST, &session, scope, said).await;
    };
    let actor = session.user.actor(&app.client(peer, &headers), "");
    match import(&app.pool, &app.keys, &actor, scope, &bytes).await {
        Ok(report) => {
            page(&app, StatusCode::OK, &session, scope, Said { report: Some(report), ..Said::default() }).await
        }
        Err(CentralError::Invalid { message, .. }) => {
            page(&app, StatusCode::BAD_REQUEST, &session, scope, Said { error: Some(message), ..Said::default() }).await
        }
        Err(e) => super::server_error(&app, Some(&session), e),
    }
}

pub async fn remind_one(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(place): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (session, scope, f) = match super::supervised_form(&app, &headers, &body).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let Ok(place) = Uuid::parse_str(&place) else {
        return message(&app, StatusCode::NOT_FOUND, Some(&session), t::NOT_FOUND_TITLE, t::NOT_FOUND);
    };
    let actor = session.user.actor(&app.client(peer, &headers), "");
    match remind(&app.pool, &actor, scope, place, get("how"), get("note")).await {
        Ok(()) => see_other("/console/places?reminded", None),
        Err(CentralError::Invalid { message, .. }) => {
            page(&app, StatusCode::BAD_REQUEST, &session, scope, Said { error: Some(message), ..Said::default() }).await
        }
        Err(CentralError::NotFound(_)) => {
            message(&app, StatusCode::NOT_FOUND, Some(&session), t::NOT_FOUND_TITLE, t::NOT_FOUND)
        }
        Err(e) => super::server_error(&app, Some(&session), e),
    }
}

/// Both lists as a workbook: contacts masked unless `full=1` (audited either way).
pub async fn export(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (session, district) = match super::supervisor(&app, &headers, q.get("district").map(String::as_str)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let full = q.get("full").is_some_and(|f| f == "1");
    let now = Utc::now();
    let book = async {
        let missing = missing(&app.reads, &app.keys, district, EXPORTED).await?;
        let silent = silent(&app.reads, &app.keys, district, now, EXPORTED).await?;
        let reminders = reminders(&app.reads, district, EXPORTED).await?;
        let n = missing.len() + silent.len();
        Ok::<_, CentralError>((xlsx(&missing, &silent, &reminders, full)?, n))
    };
    match book.await {
        Ok((bytes, n)) => {
            super::audited_xlsx(
                &app,
                &session,
                peer,
                &headers,
                "places",
                district,
                full,
                n,
                Ok(bytes),
                t::PLACES_FILE_NAME,
                now,
            )
            .await
        }
        Err(e) => super::server_error(&app, Some(&session), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use placecode_core::venue::VenueInput;

    #[test]
    fn a_contact_phone_is_a_phone() {
        let mut r = row("鼓楼区", "", "甲超市", "中山路1号");
        r.manager_phone = "javascript:alert(1)".into();
        let (ok, reasons, _) = check(&r, None);
        assert!(ok.is_none() && reasons.iter().any(|x| x.starts_with("联系电话：")), "{reasons:?}");
        r.manager_phone = "0371 2345 6789".into();
        assert_eq!(check(&r, None).0.map(|c| c.6), Some("0371-23456789".to_owned()));
        r.manager_phone = String::new();
        assert_eq!(check(&r, None).0.map(|c| c.6), Some(String::new()));
    }

    fn row(district: &str, category: &str, name: &str, address: &str) -> VenueInput {
        VenueInput {
            kind: "general".into(),
            category: category.into(),
            name: name.into(),
            district: district.into(),
            address: address.into(),
            manager_name: "王建国".into(),
            manager_phone: "138 3780 0001".into(),
        }
    }

    #[test]
    fn a_row_is_checked_and_keyed_as_venues_are() {
        let (ok, reasons, notes) = check(&row("鼓楼区", "商场超市", " 鼓楼 超市 ", "中山路１００号"), None);
        assert!(reasons.is_empty() && notes.is_empty(), "{reasons:?} {notes:?}");
        let (key, d, c, name, _, _, phone) = ok.unwrap_or_else(|| panic!("checked"));
        assert_eq!(
            (d, c, name.as_str(), phone.as_str()),
            (District::Gulou, Category::Mall, "鼓楼 超市", "13837800001")
        );
        assert_eq!(key, placecode_core::venue::listed_key(District::Gulou, "鼓楼超市", "开封市鼓楼区中山路100号"));
        assert_eq!((key.name.as_str(), key.address.as_str()), ("鼓楼超市", "中山路100号"));
        // A list writes the city before the name; the venue did not (a trial's hospital).
        let listed = placecode_core::venue::listed_key(District::Gulou, "开封市仁和医院", "解放路88号");
        let venue = placecode_core::venue::tail_key(District::Gulou, "仁和医院", "鼓楼区解放路88号");
        assert_eq!(venue.split('|').nth(1), Some(listed.name.as_str()));
        // An unknown category is counted as 其他 and said so; the row is kept.
        let (ok, _, notes) = check(&row("gulou", "网吧", "星空网吧", "中山路1号"), None);
        assert_eq!(ok.map(|o| o.2), Some(Category::Other));
        assert_eq!(notes, ["“网吧”不是本系统的场所类型，按“其他人员易聚集场所”统计"]);
    }

    #[test]
    fn a_district_is_found_as_lists_write_it() {
        for (typed, d) in [
            ("龙亭", District::Longting),
            ("顺河区", District::Shunhe),
            ("顺河回族区", District::Shunhe),
            ("ｇｕｌｏｕ", District::Gulou),
            ("杞县", District::Qixian),
            ("杞", District::Qixian),
        ] {
            assert_eq!(district(typed), Some(d), "{typed}");
        }
        for bad in ["", "区", "郑州", "开封", "鼓楼区鼓楼区"] {
            assert_eq!(district(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_row_with_a_fault_names_it() {
        let cases = [
            (row("郑州市", "商场超市", "甲", "乙"), "所在辖区：“郑州市”不是开封市的区县"),
            (row(" ", "商场超市", "甲", "乙"), "所在辖区：必填"),
            (row("鼓楼区", "", "", "中山路1号"), "场所名称："),
            (row("鼓楼区", "", "<script>", "中山路1号"), "场所名称："),
            (row("鼓楼区", "", "甲超市", &"路".repeat(101)), "详细地址："),
            (row("longting", "", "甲超市", "鼓楼区中山路1号"), "详细地址：写的是鼓楼区"),
            (row("longting", "", "甲", "乙"), "不属于您的辖区"),
        ];
        for (r, reason) in cases {
            let (ok, reasons, _) = check(&r, Some(District::Gulou).filter(|_| r.district == "longting"));
            assert!(ok.is_none(), "{reason}");
            assert!(reasons.iter().any(|x| x.starts_with(reason)), "{reasons:?} should say {reason}");
        }
    }
}
