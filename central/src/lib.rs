//! placecode-central: the server desks sync to and the page every printed QR opens. It holds no
//! rule of its own: venues, codes, declarations, identities and colours are checked by the core
//! library (`placecode`), the same code the desk runs.
// Everything here handles what the network sends: no unwrap, no unchecked index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod api;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod config;
pub mod console;
pub mod db;
pub mod enrol;
pub mod error;
pub mod fields;
pub mod occupancy;
pub mod people;
pub mod phone;
pub mod pull;
pub mod push;
pub mod raised;
pub mod ratelimit;
pub mod releases;
pub mod risk;
pub mod trace;
pub mod trips;

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use sqlx::PgPool;

/// With the `mimalloc` feature (the default), the server and every program built with it (its
/// benchmarks and tests) allocate with mimalloc rather than the C library's allocator, whose
/// `malloc` and `free` were a quarter of the server's own time taking in a desk's push.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use config::{Config, Keys, ServeConfig};
pub use error::{CentralError, Result};

/// What every request handler shares.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

pub struct AppInner {
    pub pool: PgPool,
    /// Where tracing reads (a streaming replica, or the primary: see [`App::db`]).
    pub reads: PgPool,
    pub keys: Keys,
    pub public_url: String,
    pub secure_cookies: bool,
    /// Proxies of our own in front of the server (X-Forwarded-For entries to count from the right).
    pub trusted_hops: usize,
    /// How long one request may take, body included.
    pub request_timeout: std::time::Duration,
    pub overdue_hours: i64,
    pub ip_limiter: ratelimit::Limiter,
    /// The console's sign-in attempts per client address.
    pub console_limiter: ratelimit::Limiter,
    pub code_limiter: ratelimit::Limiter,
    /// Requests served at once (the rest are refused with 503).
    pub max_concurrent: usize,
    /// Pulls, traces and supervision queries served at once (see [`ServeConfig::max_background`]).
    pub max_background: usize,
    /// Requests in flight per client address.
    pub in_flight: std::sync::Arc<ratelimit::InFlight>,
    pub tracer_per_hour: i64,
    /// The phone page's daily limits on new ID numbers (see [`ServeConfig`]).
    pub phone_new_ids_per_day: i32,
    pub address_new_ids_per_day: i32,
    pub address_on_file_per_day: i32,
    /// The venue codes, held in memory once [`App::hold_codes`] is called (see `phone/served.rs`).
    pub codes: Arc<phone::served::Codes>,
    /// The desks' code keys and clock offsets for 扫码屏 tokens, held a minute (see `phone`).
    pub screen_keys: phone::ScreenKeys,
    /// The door's statements, batched (started on first use).
    door: std::sync::OnceLock<phone::door::Door>,
}

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    pub fn new(pool: PgPool, keys: Keys, public_url: &str, serve: &ServeConfig) -> App {
        App::with_reads(pool.clone(), pool, keys, public_url, serve)
    }

    /// A server whose tracing reads from `reads` (a streaming replica's pool).
    pub fn with_reads(pool: PgPool, reads: PgPool, keys: Keys, public_url: &str, serve: &ServeConfig) -> App {
        App(Arc::new(AppInner {
            reads,
            pool,
            keys,
            public_url: public_url.trim_end_matches('/').to_owned(),
            secure_cookies: public_url.to_ascii_lowercase().starts_with("https://"),
            trusted_hops: if serve.trust_proxy { serve.proxy_hops.max(1) } else { 0 },
            request_timeout: std::time::Duration::from_secs(serve.request_timeout_secs.max(1)),
            overdue_hours: serve.overdue_hours,
            ip_limiter: ratelimit::Limiter::new(serve.rate_ip_per_minute),
            console_limiter: ratelimit::Limiter::new(console::SIGN_INS_PER_MINUTE),
            code_limiter: ratelimit::Limiter::new(serve.rate_code_per_minute),
            max_concurrent: serve.max_concurrent.max(1),
            max_background: serve.max_background.max(1),
            in_flight: ratelimit::InFlight::new(serve.max_per_client),
            tracer_per_hour: serve.tracer_per_hour,
            phone_new_ids_per_day: serve.phone_new_ids_per_day,
            address_new_ids_per_day: serve.address_new_ids_per_day,
            address_on_file_per_day: serve.address_on_file_per_day,
            codes: Arc::default(),
            screen_keys: phone::ScreenKeys::default(),
            door: std::sync::OnceLock::new(),
        }))
    }

    /// Tracing's reads on `reads` (a replica when one is configured), writes on the primary.
    pub fn db(&self) -> db::Db<'_> {
        db::Db { primary: &self.pool, reads: &self.reads }
    }

    /// The door's batched statements (see `phone/door.rs`).
    pub fn door(&self) -> &phone::door::Door {
        self.door.get_or_init(|| phone::door::Door::start(&self.pool, &self.keys))
    }

    /// Holds the venue codes in memory and follows their changes (every process serving phones
    /// does; without it each page reads its code from the database).
    pub fn hold_codes(&self) {
        self.codes.start(self.pool.clone());
        // The phone page's buckets are split among the processes heard on the same channel.
        let app = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(phone::served::HEARTBEAT).await;
                let Some(app) = app.upgrade() else { return };
                let n = app.codes.replicas();
                app.ip_limiter.share(n);
                app.code_limiter.share(n);
            }
        });
    }

    /// The client a request is counted under (see [`ratelimit::client_key`]).
    pub fn client(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> String {
        let xff = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        ratelimit::client_key(peer.ip(), xff, self.trusted_hops)
    }
}

/// The JSON API's routes, as the OpenAPI document lists them (a test keeps the two equal).
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/enrol"),
    ("post", "/api/v1/push"),
    ("get", "/api/v1/pull"),
    ("post", "/api/v1/trace/person"),
    ("post", "/api/v1/trace/venue"),
    ("post", "/api/v1/trace/overlap"),
    ("post", "/api/v1/trips"),
    ("post", "/api/v1/risk/confirm"),
    ("get", "/api/v1/releases/latest"),
    ("get", "/api/v1/releases/{file}"),
];

pub fn router(app: App) -> Router {
    // What can wait (a desk's pull, a trace, supervision) shares a few slots of its own, so that at
    // a rush it yields to check-ins and desks' pushes instead of taking their slots.
    let background = tower::limit::GlobalConcurrencyLimitLayer::new(app.max_background);
    let yields = || {
        tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(api::overloaded))
            .load_shed()
            .layer(background.clone())
    };
    // A desk's and a tracer's requests are authenticated before their bodies are read.
    let desk_api = Router::new()
        .route("/api/v1/push", post(api::push))
        .route("/api/v1/pull", get(api::pull).layer(yields()))
        .route("/api/v1/risk/confirm", post(api::risk_confirm))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), api::desk_first));
    // Desk releases: a package is sent as stored, not compressed again; fetching one waits
    // behind check-ins as pulls do.
    let releases = Router::new()
        .route("/api/v1/releases/latest", get(api::latest_release))
        .route("/api/v1/releases/{file}", get(api::release_package))
        .route_layer(yields())
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), api::desk_first));
    let tracer_api = Router::new()
        .route("/api/v1/trace/person", post(api::trace_person))
        .route("/api/v1/trace/venue", post(api::trace_venue))
        .route("/api/v1/trace/overlap", post(api::trace_overlap))
        .route("/api/v1/trips", post(api::trips))
        .route_layer(yields())
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), api::tracer_first));
    let api = Router::new()
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/enrol", post(api::enrol))
        .route("/api/{*rest}", axum::routing::any(api::no_such_route))
        .merge(desk_api)
        .merge(tracer_api)
        .layer(axum::extract::DefaultBodyLimit::max(placecode_core::sync::MAX_BODY_BYTES))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new());
    let pages = Router::new()
        .route("/c/{code}", get(phone::show).post(phone::submit))
        .route("/C/{code}", get(phone::show).post(phone::submit))
        .route("/c/{code}/{token}", get(phone::show_rotating))
        .route("/C/{code}/{token}", get(phone::show_rotating))
        // As typed by hand, with a slash after.
        .route("/c/{code}/", get(phone::show))
        .route("/C/{code}/", get(phone::show))
        .route("/c/{code}/{token}/", get(phone::show_rotating))
        .route("/C/{code}/{token}/", get(phone::show_rotating))
        .route("/c/{code}/r/{id}", get(phone::result))
        .route("/checkpoints", get(phone::checkpoints))
        .layer(axum::extract::DefaultBodyLimit::max(phone::MAX_FORM_BYTES));
    // The supervision console waits behind check-ins at a rush, as tracing does.
    let console =
        console::routes().route_layer(yields()).layer(axum::extract::DefaultBodyLimit::max(phone::MAX_FORM_BYTES));
    // A request (its body included) that takes longer than this is cut off with 408: a client
    // that sends a byte a minute holds no connection and no database slot for long. Past
    // `max_concurrent` requests in flight, more are refused at once with 503 instead of queued;
    // one client address holds at most `max_per_client` of them (429 beyond). Every refusal the
    // framework makes is answered in Chinese, JSON under /api/ and a page elsewhere.
    let overload = tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(api::overloaded))
        .load_shed()
        // One count for the whole server: `Router::layer` wraps each route on its own.
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(app.max_concurrent));
    let served = api
        .merge(releases)
        .merge(pages)
        .merge(console)
        .fallback(phone::not_found)
        .layer(axum::middleware::from_fn(finish_what_starts))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            app.request_timeout,
        ))
        .layer(overload)
        .layer(axum::middleware::from_fn_with_state(app.clone(), api::one_clients_share));
    // The orchestrator's probes answer whatever the load: a flooded server is busy, not dead.
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .merge(served)
        .layer(axum::middleware::from_fn_with_state(app.clone(), api::refusals_in_chinese))
        .with_state(app)
}

/// A request's work runs in a task of its own, so that a client gone mid-request (a phone off
/// 3G, a desk's dropped link) or the timeout cancels only the waiting, never a transaction half
/// begun: a `BEGIN` sent and then abandoned would return its connection to the pool still inside
/// the transaction, and the next statement on it (a desk's `last_seen_at`) would hold its row
/// lock until the connection died.
async fn finish_what_starts(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    match tokio::spawn(next.run(req)).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "request task");
            CentralError::Internal("request task".into()).into_response()
        }
    }
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight finish. Partitions are kept and
/// old visits purged every hour.
pub async fn serve(config: Config, serve: ServeConfig) -> anyhow_free::Result<()> {
    let pool = db::connect(&config.database_url, config.db_connections).await?;
    let keys = Keys::load_or_create(&config.secret_file)?;
    db::check_secret(&pool, &keys).await?;
    let keys = Keys { data: db::data_keys(&pool, &config.data_key_path()).await?, ..keys };
    // People found by the desks' hash under an older server move to the lookup key.
    let moved = people::rekey(&pool, &keys).await?;
    if moved > 0 {
        tracing::info!(moved, "people moved to the lookup key");
    }
    // People stored in clear by an older server are sealed before serving.
    let (resealed, _) = people::reseal(&pool, &keys).await?;
    if resealed > 0 {
        tracing::info!(resealed, "sealed people's personal fields");
    }
    db::maintain_partitions(&pool, config.retention_days, config.audit_days).await?;
    // The first epoch of door tags (also after an upgrade from HMACs sent to desks).
    risk::rotate_if_due(&pool, &keys, config.risk_epoch_days, chrono::Utc::now()).await?;
    let (legacy,): (i64,) = sqlx::query_as("SELECT count(*) FROM risk WHERE legacy").fetch_one(&pool).await?;
    if legacy > 0 {
        tracing::warn!(
            legacy,
            "risk entries from before the lookup key: import the list again (admin import-risk --replace)"
        );
    }
    // What an older server kept in clear (visits' reasons, incidents, venues' managers, desks'
    // code keys) is sealed in the background: a scan of every visit must not hold up the start.
    let (sealing, sealing_keys) = (pool.clone(), keys.clone());
    tokio::spawn(async move {
        match people::seal_records(&sealing, &sealing_keys).await {
            Ok(0) => {}
            Ok(sealed) => tracing::info!(sealed, "sealed records an older server kept in clear"),
            Err(e) => tracing::warn!(error = %e, "sealing records kept in clear failed; `admin reseal` retries"),
        }
    });
    let keys_for_maintenance = keys.clone();
    let reads = match &config.trace_database_url {
        Some(url) => {
            tracing::info!("tracing reads from the replica");
            db::connect_replica(url, config.db_connections).await?
        }
        None => pool.clone(),
    };
    // The console's activity counts are folded every minute.
    let folding = pool.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = console::activity::fold(&folding).await {
                tracing::warn!(error = %e, "folding activity counts");
            }
        }
    });
    let app = App::with_reads(pool.clone(), reads, keys, &config.public_url, &serve);
    app.hold_codes();
    let listener = listen(&serve.listen).await?;
    let bound = listener.local_addr()?;
    tracing::info!(listen = %bound, public = %config.public_url, "placecode-central serving");
    // One line on stdout for whoever started it: the address really bound (`--listen` with port 0
    // takes any free one), said only once the port is this server's.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {bound}").and_then(|()| out.flush());
    }
    let server = axum::serve(listener, router(app).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown());
    // The maintenance loop runs beside the server and ends with it.
    tokio::select! {
        r = server => r?,
        _ = maintenance(pool, keys_for_maintenance, config) => {}
    }
    tracing::info!("stopped");
    Ok(())
}

/// How many connections the kernel holds for the server before it accepts them. A morning rush
/// opens more at once than tokio's default of 1,024; past it, a phone's connection waits for the
/// kernel's retry (a second, then more) before the server even sees it. The kernel caps this at
/// `net.core.somaxconn` (4,096 on current Debian and Ubuntu kernels).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `addr` (`host:port`; port 0 takes any free one) with [`LISTEN_BACKLOG`], trying each
/// address the host resolves to until one binds.
pub async fn listen(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    listen_with_backlog(addr, LISTEN_BACKLOG).await
}

/// [`listen`] with another backlog (the benchmark's baseline: tokio's default of 1,024).
pub async fn listen_with_backlog(addr: &str, backlog: u32) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for at in tokio::net::lookup_host(addr).await? {
        let socket = match at {
            std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        // As `TcpListener::bind` does: a restarted server takes its port back at once.
        socket.set_reuseaddr(true)?;
        match socket.bind(at).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("no address to listen on: {addr}"))
    }))
}

async fn maintenance(pool: PgPool, keys: Keys, config: Config) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.tick().await;
    loop {
        tick.tick().await;
        match db::maintain_partitions(&pool, config.retention_days, config.audit_days).await {
            Ok(dropped) if !dropped.is_empty() => tracing::info!(?dropped, "purged old visits"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "partition maintenance"),
        }
        if let Err(e) = risk::rotate_if_due(&pool, &keys, config.risk_epoch_days, chrono::Utc::now()).await {
            tracing::error!(error = %e, "risk epoch");
        }
    }
}

async fn shutdown() {
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

/// Errors of the command line, where any failure ends the program with its message.
pub mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's own account of the listening socket (`ss`: a listener's Send-Q is its
    /// backlog): the rush's connections are held, not tokio's default of 1,024.
    #[tokio::test]
    async fn the_server_listens_with_a_rush_sized_backlog() {
        let listener = listen("127.0.0.1:0").await.expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let out = std::process::Command::new("ss")
            .args(["-Hltn", &format!("sport = :{port}")])
            .output()
            .expect("ss (iproute2)");
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        let backlog: u32 = line.split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or(0);
        let cap: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(LISTEN_BACKLOG);
        assert_eq!(backlog, LISTEN_BACKLOG.min(cap), "ss said: {line}");
        // Where the kernel allows more than tokio's default, more is what the server asks for.
        assert!(cap <= 1024 || backlog > 1024, "ss said: {line}");
    }

    #[tokio::test]
    async fn an_address_that_cannot_be_listened_on_is_an_error_not_a_panic() {
        let taken = listen("127.0.0.1:0").await.expect("listen");
        let at = taken.local_addr().expect("addr").to_string();
        assert_eq!(listen(&at).await.expect_err("port in use").kind(), std::io::ErrorKind::AddrInUse);
        assert!(listen("no-port-given").await.is_err());
    }
}
