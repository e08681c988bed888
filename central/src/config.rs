//! Configuration by flags and environment variables; secrets come from a file.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// File holding the server secret (64 hex characters); made (0600) if missing.
    #[arg(long, env = "PLACECODE_SECRET_FILE", default_value = "central-secret.key")]
    pub secret_file: PathBuf,
    /// File holding the keys that seal people's personal fields (made 0600 if missing; see
    /// `fields.rs` for rotation). Kept apart from the database and its backups. Default:
    /// `central-data.key` beside the secret file.
    #[arg(long, env = "PLACECODE_DATA_KEY_FILE")]
    pub data_key_file: Option<PathBuf>,
    /// The address printed into QR codes (scheme and host), as phones reach this server.
    #[arg(long, env = "PLACECODE_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
    /// Visits older than this many days are purged.
    #[arg(long, env = "PLACECODE_RETENTION_DAYS", default_value_t = 28)]
    pub retention_days: i64,
    /// The audit log (who traced whom, who cleared a colour) is kept this many days.
    #[arg(long, env = "PLACECODE_AUDIT_DAYS", default_value_t = 365)]
    pub audit_days: i64,
    /// Days between risk-list epochs: desks get a new salt and new door tags, and whatever a
    /// stolen desk's tags allowed to be worked out stops matching.
    #[arg(long, env = "PLACECODE_RISK_EPOCH_DAYS", default_value_t = crate::risk::DEFAULT_EPOCH_DAYS)]
    pub risk_epoch_days: i64,
    /// Database connections in the pool.
    #[arg(long, env = "PLACECODE_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,
    /// A streaming replica of the database for tracing and supervision's reads (their audit
    /// records are still written to the primary), so a city-wide trace cannot slow the door.
    /// Unset: everything on DATABASE_URL.
    #[arg(long, env = "PLACECODE_TRACE_DATABASE_URL")]
    pub trace_database_url: Option<String>,
}

impl Config {
    /// The data key file: as set, or `central-data.key` beside the secret file.
    pub fn data_key_path(&self) -> PathBuf {
        self.data_key_file.clone().unwrap_or_else(|| self.secret_file.with_file_name("central-data.key"))
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Where to listen (port 0: any free port; the address bound is printed on stdout as
    /// "listening on ADDRESS").
    #[arg(long, env = "PLACECODE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Phone page requests per minute from one IP address.
    #[arg(long, env = "PLACECODE_RATE_IP", default_value_t = 120)]
    pub rate_ip_per_minute: u32,
    /// Phone page requests per minute for one venue code (a busy entrance).
    #[arg(long, env = "PLACECODE_RATE_CODE", default_value_t = 3000)]
    pub rate_code_per_minute: u32,
    /// A truck trip with no arrival this many hours after entry is overdue.
    #[arg(long, env = "PLACECODE_OVERDUE_HOURS", default_value_t = placecode_core::checkin::DEFAULT_OVERDUE_HOURS)]
    pub overdue_hours: i64,
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    #[arg(long, env = "PLACECODE_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// With PLACECODE_TRUST_PROXY: how many proxies of our own stand in front (each appends one
    /// X-Forwarded-For entry; the client is that many from the right).
    #[arg(long, env = "PLACECODE_PROXY_HOPS", default_value_t = 1)]
    pub proxy_hops: usize,
    /// Seconds one request may take, its body included; longer ones are cut off with 408.
    #[arg(long, env = "PLACECODE_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Requests served at once; more are refused at once with 503 (and Retry-After) rather
    /// than queued until every one of them is late.
    #[arg(long, env = "PLACECODE_MAX_CONCURRENT", default_value_t = 512)]
    pub max_concurrent: usize,
    /// Requests one client address may have in flight at once (a slow-body script holds no
    /// more than this; many phones behind one carrier address still fit).
    #[arg(long, env = "PLACECODE_MAX_PER_CLIENT", default_value_t = 64)]
    pub max_per_client: u32,
    /// Desks' pulls, traces and supervision queries in flight at once, together; more are asked
    /// to come back (503 and Retry-After), so at a rush they yield to check-ins.
    #[arg(long, env = "PLACECODE_MAX_BACKGROUND", default_value_t = 32)]
    pub max_background: usize,
    /// Tracing queries per tracer and hour, across every server (counted in the audit log).
    #[arg(long, env = "PLACECODE_TRACER_PER_HOUR", default_value_t = 120)]
    pub tracer_per_hour: i64,
    /// ID numbers one phone may declare for the first time per day (a family's, not a city's).
    #[arg(long, env = "PLACECODE_PHONE_NEW_IDS", default_value_t = 5)]
    pub phone_new_ids_per_day: i32,
    /// New ID numbers declared per client address and day. Many phones share an address
    /// (carrier NAT, a venue's Wi-Fi), so this is high; it stops a script, not a crowd.
    #[arg(long, env = "PLACECODE_ADDRESS_NEW_IDS", default_value_t = 300)]
    pub address_new_ids_per_day: i32,
    /// ID numbers already on file declared from phones not linked to them, per client address
    /// and day: the look-up attack. Crossing it is refused and flagged for supervision.
    #[arg(long, env = "PLACECODE_ADDRESS_ON_FILE", default_value_t = 20)]
    pub address_on_file_per_day: i32,
}

impl Default for ServeConfig {
    /// The defaults `serve` runs with, from no flags and no environment.
    fn default() -> ServeConfig {
        ServeConfig {
            listen: "127.0.0.1:8080".into(),
            rate_ip_per_minute: 120,
            rate_code_per_minute: 3000,
            overdue_hours: placecode_core::checkin::DEFAULT_OVERDUE_HOURS,
            trust_proxy: false,
            proxy_hops: 1,
            request_timeout_secs: 30,
            max_concurrent: 512,
            max_per_client: 64,
            max_background: 32,
            tracer_per_hour: 120,
            phone_new_ids_per_day: 5,
            address_new_ids_per_day: 300,
            address_on_file_per_day: 20,
        }
    }
}

/// Keys derived from the one server secret, each for one purpose.
#[derive(Clone)]
pub struct Keys {
    /// The desks' HMAC key of document numbers (given at enrolment): the input of door tags and
    /// of crew matching. At the centre it finds only entries from before the lookup key.
    pub risk: [u8; 32],
    /// The server's own HMAC key of document numbers, never given out: `people.id_hash`, and the
    /// risk list and kept colours at the centre. A dump matched with a desk's key finds no one.
    pub lookup: [u8; 32],
    /// Signs the phone cookie and the forms' CSRF tokens.
    pub cookie: [u8; 32],
    /// Seal people's document numbers, names, addresses and phones (from their own file).
    pub data: crate::fields::DataKeys,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

/// A person's two keyed hashes (see [`Keys::person`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonKey {
    /// Under the server's lookup key: where their rows are found.
    pub lookup: Vec<u8>,
    /// Under the desks' key: the input of their door tag.
    pub desk: [u8; 32],
}

impl Keys {
    /// A document number's hashes: where the server finds the person, and what desks hash.
    pub fn person(&self, number: &str) -> PersonKey {
        PersonKey {
            lookup: placecode_core::risk::id_hash(&self.lookup, number).to_vec(),
            desk: placecode_core::risk::id_hash(&self.risk, number),
        }
    }

    /// The desk hash sealed for the row found by `lookup` (the centre computes tags from it).
    pub fn seal_tag_input(&self, p: &PersonKey) -> crate::error::Result<String> {
        self.data.seal("tag_input", &p.lookup, &hex::encode(p.desk))
    }

    /// The desk hash of a row: its sealed `tag_input`, or (a row from before the lookup key) its
    /// own `id_hash`.
    pub fn tag_input(&self, id_hash: &[u8], tag_input: Option<&str>) -> crate::error::Result<Option<[u8; 32]>> {
        Ok(match tag_input {
            Some(sealed) => {
                hex::decode(self.data.open("tag_input", id_hash, sealed)?).ok().and_then(|h| h.try_into().ok())
            }
            None => id_hash.try_into().ok(),
        })
    }

    /// Keys from a secret alone, the data key derived from it too: for tests and benchmarks.
    /// A server reads its data keys from their own file ([`Keys::load_or_create`]).
    pub fn from_secret(secret: &[u8]) -> Keys {
        Keys {
            risk: derive(secret, b"risk-list v1"),
            lookup: derive(secret, b"lookup v1"),
            cookie: derive(secret, b"phone-cookie v1"),
            data: crate::fields::DataKeys::single(0, derive(secret, b"people-fields v1")),
        }
    }

    /// An admin command's keys: both files must exist (see [`Keys::load`]).
    pub fn for_admin(secret: &Path, data: &Path) -> std::io::Result<Keys> {
        let keys = Keys::load(secret)?;
        Ok(Keys { data: crate::fields::DataKeys::load(data, false)?, ..keys })
    }

    /// Reads the secret file, or makes one readable by its owner only.
    /// The keys from an existing secret file. Admin commands use this: a command run without the
    /// server's secret must fail, not make a new secret whose hashes match nothing the server
    /// holds (a risk list imported that way would turn every listed person green).
    pub fn load(path: &Path) -> std::io::Result<Keys> {
        if !path.exists() {
            return Err(std::io::Error::other(format!(
                "no server secret at {} (set PLACECODE_SECRET_FILE to the file the server uses)",
                path.display()
            )));
        }
        Keys::load_or_create(path)
    }

    pub fn load_or_create(path: &Path) -> std::io::Result<Keys> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .map_err(|_| std::io::Error::other("the secret file must hold 64 hex characters"))?;
                if bytes.len() < 32 {
                    return Err(std::io::Error::other("the secret file must hold 64 hex characters"));
                }
                Ok(Keys::from_secret(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                getrandom::getrandom(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
                write_private(path, hex::encode(secret).as_bytes())?;
                tracing::info!(path = %path.display(), "made a new server secret");
                Ok(Keys::from_secret(&secret))
            }
            Err(e) => Err(e),
        }
    }
}

fn derive(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    placecode_core::risk::id_hash(secret, std::str::from_utf8(purpose).unwrap_or_default())
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::{Keys, ServeConfig};

    /// `ServeConfig::default()` (tests, benchmarks) is what `serve` runs with unconfigured.
    #[test]
    fn the_default_is_what_serve_runs_with() {
        #[derive(clap::Parser)]
        struct Serve {
            #[command(flatten)]
            serve: ServeConfig,
        }
        let parsed = <Serve as clap::Parser>::parse_from(["serve"]).serve;
        assert_eq!(format!("{parsed:?}"), format!("{:?}", ServeConfig::default()));
    }

    /// An admin command run without the server's secret fails instead of making a new one (a
    /// risk list hashed with a new secret would match nobody: everyone on it would be green).
    #[test]
    fn admin_commands_never_make_a_secret() {
        let dir = std::env::temp_dir().join(format!("placecode-secret-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        let err = Keys::load(&path).err().unwrap();
        assert!(err.to_string().contains("PLACECODE_SECRET_FILE"), "{err}");
        assert!(!path.exists());
        let made = Keys::load_or_create(&path).unwrap();
        assert_eq!(Keys::load(&path).unwrap().risk, made.risk);
        std::fs::remove_dir_all(&dir).ok();
    }
}
