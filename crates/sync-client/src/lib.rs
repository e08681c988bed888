//! The desk's sync client (`docs/sync.md`): enrolment, then a background task that pushes the
//! outbox in batches sized to the link and pulls what the server has for this desk. It never
//! holds the database while waiting on the network, marks a record synced only on the server's
//! acknowledgement, and backs off with jitter when the link or the server fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use placecode_core::code::SigningKey;
use placecode_core::sync::{CodeKeyWire, EnrolRequest, EnrolResponse, PullResponse, PushResponse};
use placecode_store::{Enrolment, Store, SyncError, SyncProgress, SyncStatus};

const FIRST_BATCH: usize = 500;
/// Batches in flight at once.
const IN_FLIGHT: usize = 2;
const MIN_BATCH: usize = 50;
/// While a backlog drains, the stored part of the status (the outbox's counts) is read again at
/// most this often: counting a week's backlog reads a million index entries, and a drain has
/// several batches a second answered.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Between syncs when all is well.
const IDLE: Duration = Duration::from_secs(30);
const BACKOFF_MIN: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a sync stopped, in words for the staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer: no network, server down, connection dropped, timeout. Retried.
    Unreachable(String),
    /// No answer to an enrolment at this address (nothing is enrolled, nothing waits to go).
    /// Retryable like `Unreachable`.
    EnrolUnreachable(String),
    /// The server failed (5xx) or sent something unreadable. Retried.
    Server(u16),
    /// Too many requests. Retried after the server's delay.
    SlowDown(u64),
    /// The desk's credential was revoked or is unknown: stop until re-enrolled.
    Revoked,
    Unknown,
    /// The desk's clock is a day or more off: stop until fixed.
    ClockSkew,
    /// The certificate could not be verified.
    Certificate,
    /// Not enrolled yet, or bad input to enrolment.
    NotEnrolled,
    /// What was typed to connect was refused (by this desk's check or by the centre): the
    /// reason, and the form's field it names (`url`, `token`, `ca_file`) when it names one.
    Refused {
        field: Option<&'static str>,
        message: String,
    },
    /// The local database failed.
    Local(String),
}

impl Failure {
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Unreachable(_) | Failure::EnrolUnreachable(_) => "unreachable",
            Failure::Server(_) => "server_error",
            Failure::SlowDown(_) => "slow_down",
            Failure::Revoked => "desk_revoked",
            Failure::Unknown => "desk_unknown",
            Failure::ClockSkew => "clock_skew",
            Failure::Certificate => "certificate",
            Failure::NotEnrolled => "not_enrolled",
            Failure::Refused { .. } => "refused",
            Failure::Local(_) => "storage",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Unreachable(_) => "无法连接中心服务器：记录已保存在本机，网络恢复后自动上传".into(),
            Failure::EnrolUnreachable(base) => {
                format!("无法连接中心服务器 {base}：请检查服务器地址是否正确、本机网络是否连通，再接入")
            }
            Failure::Server(s) => format!("中心服务器暂时出错（{s}），稍后自动重试"),
            Failure::SlowDown(s) => format!("中心服务器繁忙，{s}秒后自动重试"),
            Failure::Revoked => "本登记台的凭证已被中心吊销，已停止同步；请联系管理员重新接入".into(),
            Failure::Unknown => "中心服务器不认识本登记台的凭证；请重新接入".into(),
            Failure::ClockSkew => "本机时钟与中心服务器相差一天以上，已停止同步；请先校准本机时间".into(),
            Failure::Certificate => "中心服务器的证书无效或不受信任；如使用自建证书，请在设置中指定CA证书文件".into(),
            Failure::NotEnrolled => "尚未接入中心服务器".into(),
            Failure::Refused { message, .. } => message.clone(),
            Failure::Local(_) => "本机数据库出错，请重试；如仍失败，请联系管理员".into(),
        }
    }

    /// Whether trying again later can help (otherwise the staff must act).
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Failure::Unreachable(_)
                | Failure::EnrolUnreachable(_)
                | Failure::Server(_)
                | Failure::SlowDown(_)
                | Failure::Local(_)
        )
    }

    fn view(&self) -> SyncError {
        SyncError { code: self.code().into(), message: self.message() }
    }
}

impl From<placecode_store::Error> for Failure {
    fn from(e: placecode_store::Error) -> Self {
        Failure::Local(e.to_string())
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub pushed: usize,
    pub set_aside: usize,
    pub pulled: usize,
}

#[derive(Default)]
struct Live {
    online: Option<bool>,
    syncing: bool,
    error: Option<SyncError>,
    progress: Option<SyncProgress>,
}

/// Told of every change of the status (the desk forwards it to the UI).
type Listener = Box<dyn Fn(SyncStatus) + Send + Sync>;

/// One desk's sync: its own connection to the desk database, the HTTP client, and what the
/// screens show while it runs.
pub struct SyncEngine {
    db: PathBuf,
    store: Mutex<Option<Store>>,
    live: Mutex<Live>,
    wake: tokio::sync::Notify,
    /// The desk clock minus the real one (tests set it to play a wrong clock).
    pub clock_skew: chrono::Duration,
    batch: Mutex<usize>,
    listener: Mutex<Option<Listener>>,
    /// The stored part of the status as last read, when, and how many records the running sync
    /// had had answered then.
    stored: Mutex<Option<(Instant, SyncStatus, i64)>>,
}

impl SyncEngine {
    pub fn new(db: &Path) -> Arc<SyncEngine> {
        Arc::new(SyncEngine {
            db: db.to_owned(),
            store: Mutex::new(None),
            live: Mutex::new(Live::default()),
            wake: tokio::sync::Notify::new(),
            clock_skew: chrono::Duration::zero(),
            batch: Mutex::new(FIRST_BATCH),
            listener: Mutex::new(None),
            stored: Mutex::new(None),
        })
    }

    /// An engine whose clock is `skew` off (for tests of a wrong desk clock).
    pub fn with_clock_skew(db: &Path, skew: chrono::Duration) -> Arc<SyncEngine> {
        let mut e = SyncEngine::new(db);
        if let Some(e) = Arc::get_mut(&mut e) {
            e.clock_skew = skew;
        }
        e
    }

    /// Called with the new status whenever it changes (the desk forwards it to the UI).
    pub fn on_change(&self, f: impl Fn(SyncStatus) + Send + Sync + 'static) {
        if let Ok(mut l) = self.listener.lock() {
            *l = Some(Box::new(f));
        }
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_skew
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> placecode_store::Result<T>) -> Result<T, Failure> {
        let mut guard = self.store.lock().map_err(|_| Failure::Local("lock".into()))?;
        if guard.is_none() {
            *guard = Some(Store::open(&self.db)?);
        }
        match guard.as_mut() {
            Some(s) => Ok(f(s)?),
            None => Err(Failure::Local("store".into())),
        }
    }

    /// The status the screens show: what is stored, and what the running sync knows.
    pub fn status(&self) -> Result<SyncStatus, Failure> {
        let s = self.with_store(|s| s.sync_status())?;
        if let Ok(mut stored) = self.stored.lock() {
            *stored = Some((Instant::now(), s.clone(), self.answered()));
        }
        Ok(self.with_live(s))
    }

    /// Records the running sync has had answered (0 when none runs).
    fn answered(&self) -> i64 {
        self.live.lock().ok().and_then(|l| l.progress).map_or(0, |p| p.done)
    }

    /// `s` with what the running sync knows.
    fn with_live(&self, mut s: SyncStatus) -> SyncStatus {
        if let Ok(live) = self.live.lock() {
            s.online = live.online;
            s.syncing = live.syncing;
            s.error = live.error.clone();
            s.progress = live.progress;
        }
        s
    }

    fn changed(&self) {
        self.tell(self.status());
    }

    fn tell(&self, status: Result<SyncStatus, Failure>) {
        if let (Ok(status), Ok(l)) = (status, self.listener.lock()) {
            if let Some(f) = l.as_ref() {
                f(status);
            }
        }
    }

    /// A batch answered: the listener hears of the progress at once. The stored counts are read
    /// again once `PROGRESS_EVERY` has passed; until then what waits is the count last read less
    /// what has been answered since (the end of the sync reads them again).
    fn progressed(&self, f: impl FnOnce(&mut Live)) {
        if let Ok(mut live) = self.live.lock() {
            f(&mut live);
        }
        let answered = self.answered();
        let recent = self.stored.lock().ok().and_then(|s| {
            s.as_ref().filter(|(at, _, then)| at.elapsed() < PROGRESS_EVERY && *then <= answered).map(
                |(_, status, then)| SyncStatus {
                    pending: (status.pending - (answered - then)).max(0),
                    ..status.clone()
                },
            )
        });
        match recent {
            Some(s) => self.tell(Ok(self.with_live(s))),
            None => self.changed(),
        }
    }

    fn set_live(&self, f: impl FnOnce(&mut Live)) {
        if let Ok(mut live) = self.live.lock() {
            f(&mut live);
        }
        self.changed();
    }

    /// Asks the background task to sync now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A record was queued and need not leave at once (a check-in goes with the next sync): the
    /// screens hear what now waits, so the header's 未同步 and the lists agree.
    pub fn written(&self) {
        self.changed();
    }

    fn client(ca_file: Option<&str>) -> Result<reqwest::Client, Failure> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            // A fresh connection per request: a half-dead pooled one is not reused after a drop.
            .pool_max_idle_per_host(0)
            .user_agent(concat!("placecode-desk/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file.filter(|p| !p.is_empty()) {
            let pem = read_ca_file(path)?;
            // A file with no certificate in it (a key, a text file) is refused here, not taken
            // for an empty trust list that fails later as "cannot connect".
            let certs = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
            if certs.is_empty() {
                return Err(refused("ca_file", "CA证书文件格式不对（应为PEM格式的证书）"));
            }
            for cert in certs {
                b = b.add_root_certificate(cert);
            }
        }
        b.build().map_err(|e| Failure::Local(e.to_string()))
    }

    /// This desk's enrolment and a client for its centre. An enrolment made before http was
    /// refused: nothing more leaves in clear.
    fn connection(&self) -> Result<(Enrolment, reqwest::Client), Failure> {
        let e = self.with_store(|s| s.enrolment())?.ok_or(Failure::NotEnrolled)?;
        server_url(&e.server_url)?;
        let client = Self::client(e.ca_file.as_deref())?;
        Ok((e, client))
    }

    /// Exchanges a one-time token for this desk's credential and registers its code-signing key.
    pub async fn enrol(
        &self,
        url: &str,
        token: &str,
        desk_name: &str,
        ca_file: Option<&str>,
        key: &SigningKey,
    ) -> Result<SyncStatus, Failure> {
        let base = server_url(url)?;
        let token = placecode_core::normalize::compact(token);
        if token.is_empty() {
            return Err(refused("token", "接入码：必填"));
        }
        let desk_id = self.with_store(|s| s.desk_id())?;
        // Enrolled here already (a new token for more venues): the desk shows its current
        // credential, without which the centre replaces no enrolled desk.
        let current = self.with_store(|s| s.enrolment())?.filter(|e| e.server_url == base).map(|e| e.credential);
        let req = EnrolRequest {
            token,
            desk_id,
            desk_name: desk_name.into(),
            code_key: CodeKeyWire { id: key.id, secret_hex: hex::encode(key.secret()) },
            app_version: env!("CARGO_PKG_VERSION").into(),
        };
        let client = Self::client(ca_file)?;
        // Not "saved here, sent later": nothing is enrolled until the centre answers.
        let mut post = client.post(format!("{base}/api/v1/enrol")).json(&req);
        if let Some(c) = current {
            post = post.bearer_auth(c);
        }
        let res = post.send().await.map_err(|e| match transport(e) {
            Failure::Unreachable(_) => Failure::EnrolUnreachable(base.clone()),
            other => other,
        })?;
        let status = res.status();
        if !status.is_success() {
            let e: placecode_core::sync::ApiError = res.json().await.map_err(transport)?;
            return Err(match e.code.as_str() {
                "desk_revoked" => Failure::Revoked,
                // The token was not one the centre issued, or names another desk.
                "token_invalid" | "desk_enrolled" => refused("token", e.message),
                _ => Failure::Refused { field: None, message: e.message },
            });
        }
        let e: EnrolResponse = res.json().await.map_err(transport)?;
        let enrolment = Enrolment {
            server_url: base,
            credential: e.credential,
            ca_file: ca_file.filter(|s| !s.is_empty()).map(str::to_owned),
            desk_name: desk_name.into(),
            venues: e.venues,
            districts: e.districts,
        };
        self.with_store(|s| {
            s.save_enrolment(&enrolment, &e.risk_key_hex)?;
            s.adopt_public_url(&e.public_url).map(drop)
        })?;
        self.set_live(|l| {
            l.error = None;
            l.online = Some(true);
        });
        self.wake();
        self.status()
    }

    /// Pushes everything waiting, then pulls everything new.
    pub async fn sync_once(&self) -> Result<Report, Failure> {
        let (enrolment, client) = self.connection()?;
        let total = self.with_store(|s| s.outbox_counts())?.0;
        self.set_live(|l| {
            l.syncing = true;
            l.progress = (total > 0).then_some(SyncProgress { done: 0, total });
        });
        let result = self.exchange(&client, &enrolment, total).await;
        self.set_live(|l| {
            l.syncing = false;
            l.progress = None;
            match &result {
                Ok(_) => {
                    l.online = Some(true);
                    l.error = None;
                }
                Err(f) => {
                    l.online = Some(!matches!(f, Failure::Unreachable(_)));
                    l.error = Some(f.view());
                }
            }
        });
        result
    }

    async fn exchange(&self, client: &reqwest::Client, e: &Enrolment, total: i64) -> Result<Report, Failure> {
        use futures_util::stream::{FuturesUnordered, StreamExt};
        let mut report = Report::default();
        // Two batches in flight, continuously: the server works on one while the desk reads,
        // sends and acknowledges the other.
        let mut inflight = FuturesUnordered::new();
        let mut after = (0u8, 0i64);
        let mut failure = None;
        loop {
            while failure.is_none() && inflight.len() < IN_FLIGHT {
                let size = self.batch.lock().map(|b| *b).unwrap_or(FIRST_BATCH);
                let mut rows = self.with_store(|s| s.outbox_batch(after, size))?;
                if rows.is_empty() {
                    break;
                }
                // Venues and codes go alone, after everything before them is answered: the
                // records after them refer to them, and batches in flight commit in any order.
                let firsts = rows.iter().take_while(|r| r.priority == 0).count();
                if firsts > 0 {
                    if !inflight.is_empty() {
                        break;
                    }
                    rows.truncate(firsts);
                }
                if let Some(last) = rows.last() {
                    after = (last.priority, last.rowid);
                }
                let alone = firsts > 0;
                inflight.push(async move {
                    let started = Instant::now();
                    let r = self.push(client, e, &rows).await;
                    (r, started.elapsed())
                });
                if alone {
                    break;
                }
            }
            let Some((outcome, elapsed)) = inflight.next().await else { break };
            match outcome {
                Ok(res) => {
                    let now = Utc::now();
                    let (acked, aside) = self.with_store(|s| s.outbox_ack(&res.results, now))?;
                    if acked + aside == 0 {
                        // The server answered but took none of these: do not spin on them.
                        failure = Some(Failure::Server(200));
                    }
                    report.pushed += acked;
                    report.set_aside += aside;
                    let done = (report.pushed + report.set_aside) as i64;
                    // The server answered: whatever failed before is over.
                    self.progressed(|l| {
                        l.progress = Some(SyncProgress { done, total: total.max(done) });
                        l.online = Some(true);
                        l.error = None;
                    });
                    if let Ok(mut b) = self.batch.lock() {
                        if elapsed < Duration::from_secs(2) {
                            *b = (*b * 2).min(placecode_core::sync::MAX_BATCH);
                        }
                    }
                }
                Err(f) => {
                    // A timeout on a big batch: try smaller ones next time.
                    if matches!(f, Failure::Unreachable(ref m) if m == "timeout") {
                        if let Ok(mut b) = self.batch.lock() {
                            *b = (*b / 2).max(MIN_BATCH);
                        }
                    }
                    // Whatever else is in flight is still answered and acknowledged.
                    failure.get_or_insert(f);
                }
            }
        }
        // The risk list comes first: a push the server keeps refusing (a 5xx on one batch) must
        // not also keep the desk from pulling. A revoked credential, a wrong clock or no link
        // stop both.
        match failure {
            None => {}
            Some(f @ (Failure::Server(_) | Failure::SlowDown(_))) => {
                let _ = self.pull(client, e, &mut report).await;
                return Err(f);
            }
            Some(f) => return Err(f),
        }
        self.pull(client, e, &mut report).await?;
        self.with_store(|s| s.mark_sync_ok(Utc::now()))?;
        Ok(report)
    }

    /// Pulls every change after the desk's cursor, applying each page with its cursor.
    async fn pull(&self, client: &reqwest::Client, e: &Enrolment, report: &mut Report) -> Result<(), Failure> {
        let mut cursor = self.with_store(|s| s.pull_cursor())?;
        loop {
            let res =
                self.send(client.get(format!("{}/api/v1/pull?cursor={cursor}&limit=5000", e.server_url)), e).await?;
            let page: PullResponse = res.json().await.map_err(transport)?;
            report.pulled += page.changes.len();
            let next = page.cursor;
            self.with_store(|s| s.apply_changes(&page.changes, next))?;
            cursor = next;
            if !page.more {
                return Ok(());
            }
        }
    }

    /// One request with the desk's credential and clock; measures the clock offset.
    async fn send(&self, req: reqwest::RequestBuilder, e: &Enrolment) -> Result<reqwest::Response, Failure> {
        let sent = self.now();
        let started = Instant::now();
        let res = req
            .bearer_auth(&e.credential)
            .header("x-desk-time", sent.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .send()
            .await
            .map_err(transport)?;
        let half_trip = chrono::Duration::from_std(started.elapsed() / 2).unwrap_or_default();
        if let Some(server) = res
            .headers()
            .get("x-server-time")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        {
            let offset = (server.with_timezone(&Utc) - (sent + half_trip)).num_milliseconds();
            self.with_store(|s| s.set_clock_offset(offset))?;
        }
        let status = res.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(res);
        }
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(10);
        let code = res.json::<placecode_core::sync::ApiError>().await.map(|e| e.code).unwrap_or_default();
        Err(match (status, code.as_str()) {
            (401, "desk_revoked") => Failure::Revoked,
            (401, _) => Failure::Unknown,
            (409, _) => Failure::ClockSkew,
            (429, _) => Failure::SlowDown(retry_after),
            (413, _) => {
                if let Ok(mut b) = self.batch.lock() {
                    *b = (*b / 2).max(MIN_BATCH);
                }
                Failure::Server(413)
            }
            (s, _) => Failure::Server(s),
        })
    }

    async fn push(
        &self,
        client: &reqwest::Client,
        e: &Enrolment,
        batch: &[placecode_store::OutboxRow],
    ) -> Result<PushResponse, Failure> {
        // The stored records are already JSON: the body is assembled, not re-serialised.
        let mut json = String::with_capacity(batch.iter().map(|r| r.record.len() + 1).sum::<usize>() + 64);
        json.push_str(&format!("{{\"batch_id\":\"{}\",\"records\":[", uuid::Uuid::now_v7()));
        for (i, row) in batch.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&row.record);
        }
        json.push_str("]}");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(json.as_bytes()).map_err(|e| Failure::Local(e.to_string()))?;
        let body = gz.finish().map_err(|e| Failure::Local(e.to_string()))?;
        let req = client
            .post(format!("{}/api/v1/push", e.server_url))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body);
        let res = self.send(req, e).await?;
        let answer: PushResponse = res.json().await.map_err(transport)?;
        if answer.results.len() != batch.len() {
            return Err(Failure::Server(200));
        }
        Ok(answer)
    }

    /// Syncs for as long as the desk runs: now, then every 30 s or when woken; after a failure,
    /// again after an exponential backoff with full jitter (2 s to 5 min). A revoked credential
    /// or a wrong clock waits for the staff (a wake or a new enrolment).
    pub async fn run(self: Arc<Self>) {
        let mut failures: u32 = 0;
        loop {
            let wait = match self.sync_once().await {
                Ok(_) => {
                    failures = 0;
                    IDLE
                }
                // Not connected: the screens still hear of what waits (the header and the lists
                // agree on 未同步 after each check-in).
                Err(Failure::NotEnrolled) => {
                    self.changed();
                    IDLE
                }
                Err(Failure::SlowDown(s)) => Duration::from_secs(s),
                Err(f) if f.retryable() => {
                    failures = failures.saturating_add(1);
                    backoff(failures)
                }
                Err(_) => BACKOFF_MAX,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {},
                _ = self.wake.notified() => {},
            }
        }
    }
}

/// How long the door waits for the centre to confirm a matching door tag before it holds the
/// person as listed (`risk::UNCONFIRMED`).
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a package may take to arrive: 60 MB over a slow link.
const PACKAGE_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest a package's download may go without a byte.
const STALL: Duration = Duration::from_secs(60);

impl SyncEngine {
    /// The newest desk release the centre publishes for this package format (`None`: none).
    /// With `key_id`, only releases signed with that key (the one this desk trusts).
    pub async fn latest_release(
        &self,
        format: placecode_core::release::PackageFormat,
        key_id: Option<&str>,
    ) -> Result<Option<placecode_core::release::Release>, Failure> {
        let (e, client) = self.connection()?;
        let mut url =
            format!("{}/api/v1/releases/latest?format={}&arch={}", e.server_url, format.as_str(), format.this_arch());
        if let Some(k) = key_id.filter(|k| k.len() == 16 && k.bytes().all(|b| b.is_ascii_hexdigit())) {
            url.push_str("&key=");
            url.push_str(k);
        }
        let res = self.send(client.get(url), &e).await?;
        res.json().await.map_err(|e| {
            if e.is_decode() {
                Failure::Refused { field: None, message: "中心服务器关于更新的回答无法读取".into() }
            } else {
                transport(e)
            }
        })
    }

    /// Downloads `release`'s package to `dest` (a new file, 0600) and checks it: its size and
    /// hash (a broken download), then its signature with the release key this desk trusts and
    /// the file name the signature names (a forged or relabelled package). On any failure the
    /// file is removed; what stays at `dest` is a package the key's holder signed.
    pub async fn fetch_release(
        &self,
        release: &placecode_core::release::Release,
        key: &minisign_verify::PublicKey,
        dest: &Path,
    ) -> Result<(), Failure> {
        // The signature is looked at before anything is downloaded.
        let verifier = placecode_core::release::Verifier::new(key, release).map_err(|e| refused_release(&e))?;
        if release.size > placecode_core::release::MAX_PACKAGE_BYTES {
            return Err(Failure::Refused { field: None, message: "更新包过大，已拒绝".into() });
        }
        let (e, client) = self.connection()?;
        let url = format!("{}/api/v1/releases/{}", e.server_url, verifier.file_name());
        let result = async {
            let mut res = self.send(client.get(url).timeout(PACKAGE_TIMEOUT), &e).await?;
            // A file left there is replaced by a new one only this user reads.
            let _ = std::fs::remove_file(dest);
            let mut file = placecode_store::keys::new_private_file(dest).map_err(|e| Failure::Local(e.to_string()))?;
            let mut hash = <sha2::Sha256 as sha2::Digest>::new();
            let mut got: u64 = 0;
            // A link that stalls for a minute is given up on, not waited on for the hour.
            let stalled = || Failure::Refused {
                field: None, message: "更新包下载停滞超过1分钟，请稍后再试".into()
            };
            while let Some(chunk) =
                tokio::time::timeout(STALL, res.chunk()).await.map_err(|_| stalled())?.map_err(transport)?
            {
                got += chunk.len() as u64;
                if got > release.size {
                    return Err(Failure::Refused {
                        field: None, message: "更新包比发布时大，已拒绝".into()
                    });
                }
                sha2::Digest::update(&mut hash, &chunk);
                file.write_all(&chunk).map_err(|e| Failure::Local(e.to_string()))?;
            }
            file.sync_all().map_err(|e| Failure::Local(e.to_string()))?;
            if got != release.size || hex::encode(sha2::Digest::finalize(hash)) != release.sha256 {
                return Err(Failure::Refused {
                    field: None, message: "更新包下载不完整或已损坏，请稍后重试".into()
                });
            }
            let mut read = std::fs::File::open(dest).map_err(|e| Failure::Local(e.to_string()))?;
            verifier.check(&mut read).map_err(|e| refused_release(&e))?;
            // What the package says it is, as the centre checked at publication.
            placecode_core::release::check_package_file(release.format, dest, &release.version, &release.arch)
                .map_err(|e| refused_release(&e))
        }
        .await;
        if result.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        result
    }
}

fn refused_release(e: &placecode_core::Error) -> Failure {
    Failure::Refused { field: None, message: e.to_string() }
}

/// Asks the centre about the person with this document number (a door tag matched): on the
/// risk list or not, a colour kept or not; `None`: no answer in [`CONFIRM_TIMEOUT`]. Blocking: it
/// runs on a thread of its own, so it can be called from any thread of the desk, async runtime
/// or not. This is the desk's [`placecode_store::RiskConfirm`].
pub fn confirm_risk(e: &Enrolment, number: &str) -> Option<placecode_core::sync::RiskConfirmResponse> {
    let e = e.clone();
    let body = placecode_core::sync::RiskConfirmRequest { document_number: number.to_owned() };
    let asked = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(CONFIRM_TIMEOUT)
                .user_agent(concat!("placecode-desk/", env!("CARGO_PKG_VERSION")));
            let client = match e.ca_file.as_deref() {
                Some(path) => {
                    client.add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(path).ok()?).ok()?)
                }
                None => client,
            }
            .build()
            .ok()?;
            let res = client
                .post(format!("{}/api/v1/risk/confirm", e.server_url))
                .bearer_auth(&e.credential)
                .json(&body)
                .send()
                .await
                .ok()?;
            if !res.status().is_success() {
                return None;
            }
            let mut answer: placecode_core::sync::RiskConfirmResponse = res.json().await.ok()?;
            answer.colour = answer.colour.filter(|c| *c != placecode_core::decision::Colour::Green);
            answer.raised = answer.raised.filter(|r| r.colour != placecode_core::decision::Colour::Green);
            Some(answer)
        })
    });
    asked.join().ok().flatten()
}

/// Full jitter: uniformly random between zero and the exponential bound.
pub fn backoff(failures: u32) -> Duration {
    let bound = BACKOFF_MIN.saturating_mul(1u32 << failures.min(10).saturating_sub(1)).min(BACKOFF_MAX);
    let mut b = [0u8; 4];
    let _ = getrandom::getrandom(&mut b);
    let frac = f64::from(u32::from_be_bytes(b)) / f64::from(u32::MAX);
    Duration::from_millis(((bound.as_millis() as f64) * frac) as u64).max(Duration::from_millis(200))
}

fn transport(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Unreachable("timeout".into());
    }
    // rustls reports an untrusted certificate as a connect error whose source names it.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("certificate") || text.contains("UnknownIssuer") {
            return Failure::Certificate;
        }
        source = s.source();
    }
    Failure::Unreachable(if e.is_connect() { "connect".into() } else { "transport".into() })
}

/// The most a CA file may hold: a bundle of trusted roots is a few hundred kB.
const CA_FILE_MAX: u64 = 1024 * 1024;

/// A CA file's bytes: a regular file of at most [`CA_FILE_MAX`] (a device such as /dev/zero, a
/// pipe or a huge file is refused, never read without end).
fn read_ca_file(path: &str) -> Result<Vec<u8>, Failure> {
    use placecode_core::files::{read_bounded, NotRead};
    read_bounded(Path::new(path), CA_FILE_MAX).map_err(|e| match e {
        NotRead::Missing => refused("ca_file", format!("找不到CA证书文件：{path}")),
        NotRead::Unreadable => refused("ca_file", format!("无法读取CA证书文件：{path}")),
        NotRead::TooLarge => refused("ca_file", "CA证书文件过大（超过1MB），请确认选择的是证书文件"),
    })
}

fn refused(field: &'static str, message: impl Into<String>) -> Failure {
    Failure::Refused { field: Some(field), message: message.into() }
}

/// Checks the server address typed in settings: http(s)://host[:port], no path.
pub fn server_url(raw: &str) -> Result<String, Failure> {
    let s = placecode_core::normalize::compact(raw);
    let s = s.trim_end_matches('/');
    let lower = s.to_ascii_lowercase();
    let bad = || refused("url", "服务器地址：应为 https://主机名[:端口]，如 https://placecode.kaifeng.gov.cn");
    let (secure, host) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(h), _) => (true, h),
        (None, Some(h)) => (false, h),
        _ => return Err(bad()),
    };
    if host.is_empty() || host.contains('/') || host.contains(' ') {
        return Err(bad());
    }
    // The token, the credential, the risk key and people's ID numbers travel on this line:
    // never in clear, except to a server on this very machine.
    if !secure && !loopback(host) {
        return Err(refused(
            "url",
            "服务器地址：须以 https:// 开头（http 只用于本机测试），否则身份证号等将以明文传输",
        ));
    }
    Ok(s.to_owned())
}

/// `localhost`, 127.0.0.0/8 or `[::1]`, with or without a port.
fn loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the desk says when the centre cannot be reached or refuses it, in English too.
    #[test]
    fn every_failure_is_said_in_english_too() {
        for f in [
            Failure::Unreachable("x".into()),
            Failure::EnrolUnreachable("https://placecode.kaifeng.gov.cn".into()),
            Failure::Server(503),
            Failure::SlowDown(5),
            Failure::Revoked,
            Failure::Unknown,
            Failure::ClockSkew,
            Failure::Certificate,
            Failure::NotEnrolled,
            Failure::Local("x".into()),
        ] {
            let (zh, en) = (f.message(), placecode_core::english::english(&f.message()));
            let chinese = en.chars().any(|c| ('\u{3400}'..='\u{9fff}').contains(&c));
            assert!(!en.starts_with("Please check") && !chinese, "{zh} → {en}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_bounded() {
        for n in 1..20 {
            let d = backoff(n);
            assert!(d <= BACKOFF_MAX, "{n}: {d:?}");
        }
        let early: Vec<_> = (0..50).map(|_| backoff(1)).collect();
        assert!(early.iter().all(|d| *d <= BACKOFF_MIN));
        let late: Vec<_> = (0..50).map(|_| backoff(12)).collect();
        assert!(late.iter().any(|d| *d > Duration::from_secs(30)), "grows");
        assert!(late.windows(2).any(|w| w[0] != w[1]), "jittered");
    }

    /// A CA file is a regular file of at most 1 MB: a device, a folder or a huge file is refused
    /// under its field, never read without end.
    #[test]
    fn ca_files_are_bounded_regular_files() {
        let field = |r: Result<Vec<u8>, Failure>| match r {
            Err(Failure::Refused { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(read_ca_file("/dev/zero")), Some("ca_file"));
        assert_eq!(field(read_ca_file("/")), Some("ca_file"));
        assert_eq!(field(read_ca_file("/nonexistent/ca.pem")), Some("ca_file"));
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            let fifo = dir.path().join("pipe");
            assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
            assert_eq!(field(read_ca_file(fifo.to_str().unwrap())), Some("ca_file"), "a pipe is not waited on");
        }
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'A'; 1024 * 1024 + 1]).unwrap();
        assert_eq!(field(read_ca_file(big.to_str().unwrap())), Some("ca_file"));
        let small = dir.path().join("ca.pem");
        std::fs::write(&small, b"-----BEGIN CERTIFICATE-----").unwrap();
        assert_eq!(read_ca_file(small.to_str().unwrap()).unwrap().len(), 27);
    }

    #[test]
    fn server_addresses_are_checked() {
        assert_eq!(server_url(" https://placecode.kaifeng.gov.cn/ ").unwrap(), "https://placecode.kaifeng.gov.cn");
        assert_eq!(server_url("https://10.0.0.5:8443").unwrap(), "https://10.0.0.5:8443");
        // In clear only to this very machine.
        for local in ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2"] {
            assert_eq!(server_url(local).unwrap(), local);
        }
        for bad in ["", "placecode.kaifeng.gov.cn", "ftp://x", "https://", "https://a/b", "javascript:alert(1)"] {
            assert!(matches!(server_url(bad), Err(Failure::Refused { field: Some("url"), .. })), "{bad}");
        }
        for clear in
            ["http://placecode.kaifeng.gov.cn", "http://10.0.0.5:8080", "http://localhost.evil.cn", "http://[::2]:80"]
        {
            match server_url(clear) {
                Err(Failure::Refused { field: Some("url"), message: m }) => {
                    assert!(m.contains("https://"), "{clear}: {m}")
                }
                other => panic!("{clear}: {other:?}"),
            }
        }
    }
}
