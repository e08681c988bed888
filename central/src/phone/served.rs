//! The venue codes phones may open, held in memory so that the page a printed QR opens costs no
//! database read for its code, and a code made up under a key no desk has costs none at all.
//!
//! Every code is loaded at start with its venue. PostgreSQL tells every server process of each
//! change (triggers on `codes`, `venues` and `desks` notify [`CHANNEL`], a deleted row included),
//! and the process reloads that code, that venue's codes or that desk's key id: several processes behind a balancer see a revocation within
//! milliseconds of each other. While the notifications cannot be trusted (not yet loaded, or the
//! listening connection was lost and changes may have been missed) every lookup reads the
//! database, as it would without the cache.
//!
//! The key ids of the enrolled desks are held too. A code the cache does not hold is refused at
//! once when no enrolled desk has its key id (anyone can make a well-formed code, but not one of a
//! desk's key); otherwise it is read from the database within a small budget
//! ([`MISSES_PER_MINUTE`]): a code pushed a moment ago, not yet announced, is still found, and a
//! flood of codes made up under a real desk's key id reaches the database at most that often.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use placecode_core::code::ParsedCode;
use placecode_core::venue::CodeKind;
use sqlx::postgres::PgListener;
use sqlx::{ConnectOptions, PgPool};
use uuid::Uuid;

use crate::ratelimit::Limiter;

/// The channel the `codes`, `venues` and `desks` triggers notify (migration 0016).
pub const CHANNEL: &str = "placecode_served";
/// Codes missing from the cache looked up in the database, per minute, for the whole process.
pub const MISSES_PER_MINUTE: u32 = 6_000;
/// How often each process announces itself on [`CHANNEL`] to prove its listener still hears.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// A venue code as phones see it: its venue, whether it is revoked, whether the venue is approved.
#[derive(Debug, Clone)]
pub struct Entry {
    pub venue_id: Uuid,
    pub venue: String,
    pub kind: CodeKind,
    pub code: String,
    pub supervision_phone: Option<String>,
    pub revoked: bool,
    pub approved: bool,
    /// The desk that issued it: its key signs the code's 扫码屏 tokens.
    pub desk_id: Uuid,
    /// The entrance takes only its 扫码屏's rotating code.
    pub rotating_only: bool,
    /// The venue's limit (限流), as its desk set it.
    pub limit: Option<placecode_core::occupancy::Limit>,
    /// The venue's district (the 限流令 over it).
    pub district: Option<placecode_core::venue::District>,
}

/// Code, kind, revoked, venue id, name, status, supervision phone, desk, rotating only, the
/// venue's capacity, share allowed and stay, and its district.
type Row = (
    String,
    String,
    bool,
    Uuid,
    String,
    String,
    Option<String>,
    Uuid,
    bool,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    String,
);

/// The key ids of the desks whose codes may be genuine.
const DESK_KEYS: &str = "SELECT code_key_id FROM desks WHERE revoked_at IS NULL";

const SELECT: &str = "SELECT c.code, c.kind, c.revoked_at IS NOT NULL, v.id, v.name, v.status, v.supervision_phone,
        c.desk_id, c.rotating_only, v.capacity, v.limit_percent, v.stay_minutes, v.district
     FROM codes c JOIN venues v ON v.id = c.venue_id";

impl Entry {
    fn from_row(
        (
            code,
            kind,
            revoked,
            venue_id,
            venue,
            status,
            supervision_phone,
            desk_id,
            rotating_only,
            capacity,
            percent,
            stay,
            district,
        ): Row,
    ) -> (String, Entry) {
        let kind = CodeKind::parse(&kind).unwrap_or(CodeKind::General);
        let approved = status == "approved";
        let limit = match (capacity, percent, stay) {
            (Some(c), Some(p), Some(s)) => placecode_core::occupancy::Limit::checked(c.into(), p.into(), s.into()).ok(),
            _ => None,
        };
        let e = Entry {
            venue_id,
            venue,
            kind,
            code: code.clone(),
            supervision_phone,
            revoked,
            approved,
            desk_id,
            rotating_only,
            limit,
            district: placecode_core::venue::District::parse(&district),
        };
        (code, e)
    }
}

/// What a lookup found.
pub enum Found {
    Code(Entry),
    /// No such code on the server.
    Unknown,
    /// No enrolled desk has the code's key id: made up, or damaged.
    Forged,
}

pub struct Codes {
    /// True while the map holds every code and every change since has been applied.
    warm: AtomicBool,
    map: RwLock<HashMap<String, Entry>>,
    /// The code-signing key ids of the enrolled desks that are not revoked.
    keys: RwLock<HashSet<u32>>,
    misses: Limiter,
    listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// This process, as its announcements name it.
    me: Uuid,
    /// The processes heard announcing themselves, and when.
    peers: std::sync::Mutex<HashMap<Uuid, Instant>>,
}

impl Default for Codes {
    fn default() -> Self {
        Codes::new(MISSES_PER_MINUTE)
    }
}

impl Codes {
    /// An empty, cold cache that looks up at most `misses_per_minute` codes it does not hold.
    pub fn new(misses_per_minute: u32) -> Codes {
        Codes {
            warm: AtomicBool::new(false),
            map: RwLock::new(HashMap::new()),
            keys: RwLock::new(HashSet::new()),
            misses: Limiter::new(misses_per_minute),
            listener: std::sync::Mutex::new(None),
            me: Uuid::now_v7(),
            peers: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The server processes sharing this database that announced themselves lately (this one
    /// included; 1 when nothing is heard).
    pub fn replicas(&self) -> u32 {
        let Ok(mut peers) = self.peers.lock() else { return 1 };
        peers.retain(|_, at| at.elapsed() < HEARTBEAT * 3);
        u32::try_from(peers.len()).unwrap_or(u32::MAX).max(1)
    }

    /// Whether lookups are answered from memory.
    pub fn warm(&self) -> bool {
        self.warm.load(Ordering::Acquire)
    }

    /// The code, from memory when the cache is warm, else from the database.
    pub async fn find(&self, pool: &PgPool, parsed: &ParsedCode) -> Result<Found, sqlx::Error> {
        let code = parsed.code.as_str();
        if self.warm() {
            if let Some(e) = self.map.read().ok().and_then(|m| m.get(code).cloned()) {
                return Ok(Found::Code(e));
            }
            if !self.keys.read().is_ok_and(|k| k.contains(&parsed.key_id)) {
                return Ok(Found::Forged);
            }
            // Not announced (yet): looked up only within the budget.
            if !self.misses.allow("miss") {
                return Ok(Found::Unknown);
            }
        }
        let row: Option<Row> =
            sqlx::query_as(&format!("{SELECT} WHERE c.code = $1")).bind(code).fetch_optional(pool).await?;
        Ok(match row {
            Some(r) => Found::Code(Entry::from_row(r).1),
            None => Found::Unknown,
        })
    }

    /// Starts listening for changes and loads every code; reconnects and reloads whenever the
    /// connection is lost. Ends with [`Codes::stop`] (or with the runtime).
    pub fn start(self: &Arc<Self>, pool: PgPool) {
        let codes = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            loop {
                let Some(c) = codes.upgrade() else { return };
                if let Err(e) = c.follow(&pool).await {
                    tracing::warn!(error = %e, "venue code cache: reading the database directly until it reloads");
                }
                c.warm.store(false, Ordering::Release);
                drop(c);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        if let Ok(mut l) = self.listener.lock() {
            if let Some(old) = l.replace(task) {
                old.abort();
            }
        }
    }

    /// Stops listening (the cache goes cold: lookups read the database) and waits for the
    /// listening connection to close.
    pub async fn stop(&self) {
        self.warm.store(false, Ordering::Release);
        let task = self.listener.lock().ok().and_then(|mut l| l.take());
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
    }

    /// Listens, loads everything, then applies each change until the connection is lost or
    /// falls silent.
    async fn follow(&self, pool: &PgPool) -> Result<(), String> {
        let mut listener = PgListener::connect_with(pool).await.map_err(|e| e.to_string())?;
        listener.listen(CHANNEL).await.map_err(|e| e.to_string())?;
        // Listening before loading: a change committed during the load is announced after it.
        let rows: Vec<Row> = sqlx::query_as(SELECT).fetch_all(pool).await.map_err(|e| e.to_string())?;
        let all: HashMap<String, Entry> = rows.into_iter().map(Entry::from_row).collect();
        let keys: Vec<i64> = sqlx::query_scalar(DESK_KEYS).fetch_all(pool).await.map_err(|e| e.to_string())?;
        let n = all.len();
        if let Ok(mut m) = self.map.write() {
            *m = all;
        }
        if let Ok(mut k) = self.keys.write() {
            *k = keys.into_iter().filter_map(|k| u32::try_from(k).ok()).collect();
        }
        self.warm.store(true, Ordering::Release);
        tracing::info!(codes = n, "venue codes held in memory");
        let heard = std::sync::Mutex::new(Instant::now());
        // `try_recv` answers None when the connection was lost: what was announced meanwhile is
        // gone, so the cache goes cold and everything is loaded again.
        let changes = async {
            while let Some(n) = listener.try_recv().await.map_err(|e| e.to_string())? {
                if let Ok(mut h) = heard.lock() {
                    *h = Instant::now();
                }
                self.apply(pool, n.payload()).await.map_err(|e| e.to_string())?;
            }
            Err("the listening connection was lost".to_owned())
        };
        // A connection that dies silently (a network that drops packets) never says so: each
        // process announces itself every few seconds, and a listener that hears nothing, not
        // even its own announcements, is given up. The announcements go over a connection of
        // their own: at a rush, waiting for one of the pool's must not pass for silence.
        let mut announcer = (*pool.connect_options()).clone().connect().await.map_err(|e| e.to_string())?;
        let heartbeat = async {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(format!("ping:{}", self.me))
                    .execute(&mut announcer)
                    .await
                    .map_err(|e| e.to_string())?;
                let silent = heard.lock().map(|h| h.elapsed()).unwrap_or_default();
                if silent > HEARTBEAT * 3 {
                    return Err(format!("nothing heard for {} s", silent.as_secs()));
                }
            }
        };
        tokio::select! {
            r = changes => r,
            r = heartbeat => r,
        }
    }

    /// Reloads what one notification names: `code:<code>`, `venue:<id>` or `desk:<key id>`;
    /// `ping:<process>` counts a process.
    async fn apply(&self, pool: &PgPool, payload: &str) -> Result<(), sqlx::Error> {
        let (kind, what) = payload.split_once(':').unwrap_or((payload, ""));
        match kind {
            "ping" => {
                if let (Ok(process), Ok(mut peers)) = (Uuid::parse_str(what), self.peers.lock()) {
                    peers.insert(process, Instant::now());
                }
            }
            // What the database answers replaces what was held; a code it no longer holds goes.
            "code" => {
                let rows: Vec<Row> =
                    sqlx::query_as(&format!("{SELECT} WHERE c.code = $1")).bind(what).fetch_all(pool).await?;
                if let Ok(mut m) = self.map.write() {
                    m.remove(what);
                    m.extend(rows.into_iter().map(Entry::from_row));
                }
            }
            "venue" => {
                let Ok(venue) = Uuid::parse_str(what) else { return Ok(()) };
                let rows: Vec<Row> =
                    sqlx::query_as(&format!("{SELECT} WHERE c.venue_id = $1")).bind(venue).fetch_all(pool).await?;
                if let Ok(mut m) = self.map.write() {
                    m.retain(|_, e| e.venue_id != venue);
                    m.extend(rows.into_iter().map(Entry::from_row));
                }
            }
            "desk" => {
                let Ok(key) = what.parse::<u32>() else { return Ok(()) };
                let live: bool = sqlx::query_scalar(&format!("SELECT EXISTS ({DESK_KEYS} AND code_key_id = $1)"))
                    .bind(i64::from(key))
                    .fetch_one(pool)
                    .await?;
                if let Ok(mut k) = self.keys.write() {
                    if live {
                        k.insert(key);
                    } else {
                        k.remove(&key);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
