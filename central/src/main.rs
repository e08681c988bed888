//! `placecode-central`: serve, or run an administrator's command.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use placecode_central::audit::Actor;
use placecode_central::{console, db, enrol, releases, risk, trace, Config, Keys, ServeConfig};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "placecode-central", version, about = "场所码中心服务器")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `serve`'s flags when no command is given (they still come from the environment).
#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the phone pages (the default).
    Serve(ServeConfig),
    /// Apply the database migrations and prepare the day partitions, then exit.
    Migrate,
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    /// Make a one-time enrolment token (24 h) for venues and/or districts.
    EnrolToken {
        /// A venue's id the desk may serve (repeat for several).
        #[arg(long = "venue")]
        venues: Vec<Uuid>,
        /// A district or county the desk may register venues in (repeat for several).
        #[arg(long = "district", value_parser = district_keys())]
        districts: Vec<String>,
        /// Re-enrol this desk (its id, from its 同步 screen): the only way back after
        /// `revoke-desk`, and the way to give an enrolled desk a new credential without it.
        #[arg(long)]
        desk: Option<Uuid>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Revoke a desk's credential: every later call of it is refused.
    RevokeDesk { desk: Uuid },
    /// Make a tracing credential (追溯查询凭证) for the tracing API.
    TracerToken {
        #[arg(long)]
        name: String,
        /// Days until it expires (1 to 365).
        #[arg(long, default_value_t = trace::TRACER_DAYS)]
        days: i64,
        /// What it may query: person, venue, overlap, trips (repeat; none: all four).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// List the tracing credentials (never their tokens): scopes, expiry, revocation.
    Tracers,
    /// End a tracing credential at once.
    RevokeTracer { tracer: Uuid },
    /// The audit log, newest first: who traced whom (masked), from where, why; every admin
    /// command; the desks' risk questions.
    Audit {
        /// Only this action (trace_person, trace_venue, trace_overlap, supervise_trips,
        /// risk_confirm, clear_colour, enrol_token, revoke_desk, tracer_token, revoke_tracer, ...).
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// What the phone page flagged: addresses and phones that crossed its daily limits on new
    /// ID numbers (the last 7 days).
    Flags,
    /// Forget a phone (its cookie, from `flags`): it is a new phone at its next visit, holding
    /// no one.
    RevokePhone { phone: Uuid },
    /// Import the risk-person list (CSV: 身份证号,颜色,原因), adding to it or replacing it.
    ImportRisk {
        file: std::path::PathBuf,
        #[arg(long)]
        replace: bool,
    },
    /// The epidemic office clears a person's raised colour (赋色解除): on the centre, every desk
    /// and the phone page. Audited with the note.
    ClearColour {
        #[arg(long)]
        id_number: String,
        /// Why (the office's decision), required.
        #[arg(long)]
        note: String,
    },
    /// Tracing queries (R11), each written to the audit log.
    #[command(subcommand)]
    Trace(Trace),
    /// Drop the days of visits older than the retention and prepare the coming days now.
    Purge,
    /// Start a new epoch of the risk list's door tags now (new salt, every desk gets new tags).
    RotateRiskEpoch,
    /// Put a new data key first in the data key file (PLACECODE_DATA_KEY_FILE). Restart every
    /// server, then run `reseal`.
    RotateDataKey,
    /// Seal every personal field still in clear or under an older data key with the current
    /// one, then remove the keys no value uses any more.
    Reseal,
    /// 货车闭环 supervision: open, closed and overdue trips by checkpoint and destination.
    Trips {
        /// Why (查询用途), written to the audit log.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        checkpoint: Option<Uuid>,
        #[arg(long)]
        destination: Option<Uuid>,
        /// open, closed, overdue, unmatched or all
        #[arg(long)]
        status: Option<String>,
        #[arg(long, env = "PLACECODE_OVERDUE_HOURS", default_value_t = placecode_core::checkin::DEFAULT_OVERDUE_HOURS)]
        overdue_hours: i64,
    },
    /// Make a user of the supervision console (/console). The password is read from
    /// PLACECODE_CONSOLE_PASSWORD, else from the first line of standard input; the answer holds
    /// the TOTP secret to enter in the user's authenticator app, shown this once.
    ConsoleUserAdd {
        /// The user name they sign in with (3 to 32 of a-z 0-9 . _ -).
        #[arg(long)]
        login: String,
        /// Their name as pages show it.
        #[arg(long)]
        name: String,
        /// city (市级监管), district (区县监管: one district) or tracer (流调人员).
        #[arg(long, value_parser = ["city", "district", "tracer"])]
        role: String,
        /// The district a district supervisor sees.
        #[arg(long, value_parser = district_keys())]
        district: Option<String>,
        /// Also write the secret's QR code (for the authenticator app to scan) to this SVG file
        /// (0600). In a terminal, the QR code is drawn on standard error too.
        #[arg(long)]
        qr_file: Option<std::path::PathBuf>,
    },
    /// Disable a console user: they cannot sign in, and their open sessions end at once.
    ConsoleUserDisable {
        #[arg(long)]
        login: String,
    },
    /// The console's users (never a password hash or a secret), with when each was last seen.
    ConsoleUsers,
    /// Publish a desk release: the package as the bundler named it
    /// (placecode-desk_1.2.0_amd64.deb), signed with `tauri signer sign` (the signature in
    /// <package>.sig). It is checked with the release key first; desks offered it check again.
    PublishRelease {
        package: std::path::PathBuf,
        /// The release key's public half (the .pub file `tauri signer generate` wrote).
        #[arg(long, env = "PLACECODE_RELEASE_PUBKEY")]
        public_key: std::path::PathBuf,
        /// The signature file, when not beside the package.
        #[arg(long)]
        signature: Option<std::path::PathBuf>,
        /// 更新说明 shown to the desks' administrators (or --notes-file).
        #[arg(long, default_value = "")]
        notes: String,
        #[arg(long, conflicts_with = "notes")]
        notes_file: Option<std::path::PathBuf>,
        /// The release key is not the one the last release was signed with, on purpose (the
        /// desks must first get a package carrying the new key).
        #[arg(long)]
        new_key: bool,
    },
    /// Withdraw a published desk version (desks not yet updated are offered the newest left).
    WithdrawRelease { version: String },
    /// The published desk releases, newest first.
    Releases,
}

#[derive(Subcommand)]
enum Trace {
    /// Every visit of a person in a window.
    Person {
        /// Why (查询用途: a case number), written to the audit log.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        id_number: String,
        #[arg(long)]
        from: DateTime<Utc>,
        #[arg(long)]
        to: DateTime<Utc>,
    },
    /// Everyone at a venue in a window.
    Venue {
        /// Why (查询用途), written to the audit log.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        venue: Uuid,
        #[arg(long)]
        from: DateTime<Utc>,
        #[arg(long)]
        to: DateTime<Utc>,
    },
    /// Everyone who overlapped a person at any venue within N hours over the last 14 days.
    Overlap {
        /// Why (查询用途), written to the audit log.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        id_number: String,
        #[arg(long, default_value_t = 2)]
        hours: i64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = std::env::var("PLACECODE_LOG_FORMAT").is_ok_and(|v| v == "json");
    // An admin command answers on standard output; its terminal is not the server's log (a
    // release's 70 MB insert was reported to the publisher as a slow statement).
    let quiet = matches!(cli.command, Some(Command::Admin(_)));
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if quiet { "warn,sqlx=error" } else { "info,sqlx=warn" })
    });
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The operator at the console gets the cause too (a migration that does not match,
            // a missing key); nothing here names a person.
            match e.downcast_ref::<placecode_central::CentralError>() {
                Some(placecode_central::CentralError::Internal(detail)) => eprintln!("错误：{e}（{detail}）"),
                Some(placecode_central::CentralError::Database(db)) => eprintln!("错误：{e}（{db}）"),
                _ => eprintln!("错误：{e}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> placecode_central::anyhow_free::Result<()> {
    let cfg = cli.config;
    let admin = match cli.command {
        None => return placecode_central::serve(cfg, ServeOnly::parse_from(["serve"]).serve).await,
        Some(Command::Serve(s)) => return placecode_central::serve(cfg, s).await,
        Some(Command::Migrate) => {
            let pool = db::connect(&cfg.database_url, 2).await?;
            db::maintain_partitions(&pool, cfg.retention_days, cfg.audit_days).await?;
            println!("migrated");
            return Ok(());
        }
        Some(Command::Admin(a)) => a,
    };
    let pool = db::connect(&cfg.database_url, 2).await?;
    let secret = cfg.secret_file.clone();
    let data_key_file = cfg.data_key_path();
    let keys = || {
        let pool = pool.clone();
        let secret = secret.clone();
        let data_key_file = data_key_file.clone();
        async move {
            let k = Keys::for_admin(&secret, &data_key_file)?;
            db::check_secret(&pool, &k).await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(k)
        }
    };
    let print = |mut v: serde_json::Value| {
        placecode_central::audit::beijing_times(&mut v);
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
    };
    let actor = Actor::cli("");
    // Every command is audited: those that audit themselves (with what they touched) return
    // None here; the others name their action, parameters and count.
    let audited: Option<(&str, serde_json::Value, usize)> = match admin {
        Admin::EnrolToken { venues, districts, desk, note } => {
            println!("{}", enrol::make_token(&pool, &venues, &districts, desk, &note).await?);
            None
        }
        Admin::PublishRelease { package, public_key, signature, notes, notes_file, new_key } => {
            let notes = match notes_file {
                Some(f) => String::from_utf8(releases::read_bounded(&f, 64 * 1024, "notes_file", "更新说明文件")?)
                    .map_err(|_| "更新说明文件不是UTF-8文本")?,
                None => notes,
            };
            let with = releases::Publication {
                signature: signature.as_deref(),
                public_key: &public_key,
                notes: &notes,
                new_key,
            };
            let r = releases::publish(&pool, &package, &with, &actor).await?;
            // As `admin releases` lists it.
            print(serde_json::json!({ "published": release_json(&r, None) }));
            None
        }
        Admin::WithdrawRelease { version } => {
            let n = releases::withdraw(&pool, &version, &actor).await?;
            println!("已撤回 {version}（{n}个安装包）");
            None
        }
        Admin::Releases => {
            let list = releases::list(&pool).await?;
            let n = list.len();
            let shown: Vec<_> = list.iter().map(|l| release_json(&l.release, l.withdrawn_at)).collect();
            print(serde_json::json!({ "releases": shown }));
            Some(("list_releases", serde_json::json!({}), n))
        }
        Admin::RevokeDesk { desk } => {
            enrol::revoke_desk(&pool, desk, &actor).await?;
            println!("revoked {desk}");
            None
        }
        Admin::TracerToken { name, days, scopes } => {
            println!("{}", trace::make_tracer(&pool, &name, days, &scopes).await?);
            None
        }
        Admin::Tracers => {
            let list = trace::tracers(&pool).await?;
            let n = list.len();
            print(serde_json::json!({ "tracers": list }));
            Some(("list_tracers", serde_json::json!({}), n))
        }
        Admin::RevokeTracer { tracer } => {
            trace::revoke_tracer(&pool, tracer, &actor).await?;
            println!("revoked {tracer}");
            None
        }
        Admin::Audit { action, limit } => {
            let rows = placecode_central::audit::recent(&pool, action.as_deref(), limit).await?;
            let n = rows.len();
            print(serde_json::json!({ "audit": rows }));
            Some(("read_audit", serde_json::json!({ "action": action }), n))
        }
        Admin::Flags => {
            let flags = placecode_central::phone::flags(&pool).await?;
            let n = flags.len();
            print(serde_json::json!({ "flags": flags }));
            Some(("list_flags", serde_json::json!({}), n))
        }
        Admin::RevokePhone { phone } => {
            placecode_central::phone::revoke(&pool, phone).await?;
            println!("revoked {phone}");
            Some(("revoke_phone", serde_json::json!({ "phone": phone }), 1))
        }
        Admin::ImportRisk { file, replace } => {
            let bytes = std::fs::read(&file)?;
            let report = risk::import(&pool, &keys().await?, &bytes, replace).await?;
            let (imported, rejected) = (report.imported, report.rejected.len());
            let report = serde_json::to_value(report)?;
            print(report.clone());
            let params = serde_json::json!({ "replace": replace, "imported": imported, "rejected": rejected });
            placecode_central::audit::write(&pool, &actor, "import_risk", params, imported).await?;
            if imported == 0 && rejected > 0 {
                return Err("没有导入任何一行：每一行都被拒绝（见上方 rejected）".into());
            }
            None
        }
        Admin::ClearColour { id_number, note } => {
            let cleared =
                placecode_central::raised::clear(&pool, &keys().await?, &Actor::cli(&note), &id_number, &note).await?;
            print(serde_json::json!({ "cleared": cleared }));
            None
        }
        Admin::Trace(Trace::Person { purpose, id_number, from, to }) => {
            let a = Actor::cli(&placecode_central::audit::purpose(&purpose)?);
            let q = trace::PersonQuery { id_number, from, to, purpose };
            let (page, details) = trace::person(placecode_central::db::Db::one(&pool), &keys().await?, &a, &q).await?;
            print(serde_json::json!({ "visits": page.rows, "truncated": page.truncated, "details": details }));
            None
        }
        Admin::Trace(Trace::Venue { purpose, venue, from, to }) => {
            let a = Actor::cli(&placecode_central::audit::purpose(&purpose)?);
            let q = trace::VenueQuery { venue_id: venue, from, to, purpose };
            let page = trace::venue(placecode_central::db::Db::one(&pool), &keys().await?, &a, &q).await?;
            print(serde_json::json!({ "visits": page.rows, "truncated": page.truncated }));
            None
        }
        Admin::Trace(Trace::Overlap { purpose, id_number, hours }) => {
            let a = Actor::cli(&placecode_central::audit::purpose(&purpose)?);
            let q = trace::OverlapQuery { id_number, hours, purpose };
            let page =
                trace::overlap(placecode_central::db::Db::one(&pool), &keys().await?, &a, &q, Utc::now()).await?;
            print(serde_json::json!({ "overlaps": page.rows, "truncated": page.truncated }));
            None
        }
        Admin::Trips { purpose, checkpoint, destination, status, overdue_hours } => {
            let a = Actor::cli(&placecode_central::audit::purpose(&purpose)?);
            let q = placecode_central::trips::TripQuery { checkpoint, destination, status, purpose, district: None };
            let s = placecode_central::trips::supervise(
                placecode_central::db::Db::one(&pool),
                &keys().await?,
                &a,
                &q,
                overdue_hours,
                Utc::now(),
            )
            .await?;
            print(serde_json::to_value(s)?);
            None
        }
        Admin::ConsoleUserAdd { login, name, role, district, qr_file } => {
            let role = console::account::Role::parse(&role, district.as_deref())?;
            let password = match std::env::var("PLACECODE_CONSOLE_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    use std::io::IsTerminal;
                    if std::io::stdin().is_terminal() {
                        eprint!("新用户的密码（至少{}个字符）：", console::account::PASSWORD_MIN);
                    }
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let created = console::account::add(&pool, &keys().await?, &actor, &login, &name, role, &password).await?;
            {
                use std::io::IsTerminal;
                if std::io::stderr().is_terminal() {
                    eprintln!(
                        "用身份验证器应用扫描（或手动输入 totp_secret）：\n{}",
                        placecode_core::qr::terminal(&created.otpauth)?
                    );
                }
            }
            if let Some(path) = qr_file {
                // The QR holds the secret: readable by its owner only.
                use std::io::Write;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                options.open(&path)?.write_all(placecode_core::qr::svg(&created.otpauth)?.as_bytes())?;
            }
            print(serde_json::to_value(created)?);
            None
        }
        Admin::ConsoleUserDisable { login } => {
            console::account::disable(&pool, &actor, &login).await?;
            println!("disabled {login}");
            None
        }
        Admin::ConsoleUsers => {
            let users = console::account::list(&pool).await?;
            let n = users.len();
            print(serde_json::json!({ "users": users }));
            Some(("list_console_users", serde_json::json!({}), n))
        }
        Admin::Purge => {
            let dropped = db::maintain_partitions(&pool, cfg.retention_days, cfg.audit_days).await?;
            let n = dropped.len();
            print(serde_json::json!({ "dropped": dropped }));
            Some(("purge", serde_json::json!({ "retention_days": cfg.retention_days }), n))
        }
        Admin::RotateRiskEpoch => {
            let e = risk::rotate(&pool, &keys().await?).await?;
            print(serde_json::json!({ "epoch": e.epoch, "bits": e.bits }));
            Some(("rotate_risk_epoch", serde_json::json!({ "epoch": e.epoch }), 1))
        }
        Admin::RotateDataKey => {
            keys().await?;
            let rotated = placecode_central::fields::DataKeys::rotate(&cfg.data_key_path())?;
            let current = format!("{:08x}", rotated.current());
            print(serde_json::json!({ "current": current,
                "next": "restart every server, then run `admin reseal`" }));
            Some(("rotate_data_key", serde_json::json!({ "current": current }), 1))
        }
        Admin::Reseal => {
            let mut k = keys().await?;
            // Visits' reasons, incidents and desks' code keys first, then people (whose pass
            // answers which keys are still in use).
            let sealed = placecode_central::people::seal_records(&pool, &k).await?;
            let (resealed, used) = placecode_central::people::reseal(&pool, &k).await?;
            k.data.retain(&cfg.data_key_path(), &used)?;
            let current = format!("{:08x}", k.data.current());
            print(serde_json::json!({ "resealed": resealed, "records": sealed, "current": current }));
            Some(("reseal", serde_json::json!({ "current": current }), usize::try_from(resealed).unwrap_or(0)))
        }
    };
    if let Some((action, params, n)) = audited {
        placecode_central::audit::write(&pool, &actor, action, params, n).await?;
    }
    Ok(())
}

/// The district keys `--district` takes, each with its name in `--help`.
fn district_keys() -> clap::builder::PossibleValuesParser {
    placecode_core::venue::District::ALL
        .iter()
        .map(|d| clap::builder::PossibleValue::new(d.key()).help(d.label()))
        .collect::<Vec<_>>()
        .into()
}

/// A release as the admin commands print it (`publish-release`, `releases`).
fn release_json(
    r: &placecode_core::release::Release,
    withdrawn_at: Option<chrono::DateTime<chrono::Utc>>,
) -> serde_json::Value {
    serde_json::json!({ "file": r.file_name(), "version": r.version, "key_id": r.key_id, "notes": r.notes,
        "size": r.size, "sha256": r.sha256, "published_at": r.published_at, "withdrawn_at": withdrawn_at })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn notes_are_given_one_way_or_the_other() {
        let publish = |extra: &[&str]| {
            let mut args = vec!["placecode-central", "admin", "publish-release", "p.deb", "--public-key", "k.pub"];
            args.extend_from_slice(extra);
            super::Cli::try_parse_from(args).map(|_| ()).map_err(|e| e.kind())
        };
        assert_eq!(publish(&["--notes", "修复"]), Ok(()));
        assert_eq!(publish(&["--notes-file", "notes.txt"]), Ok(()));
        // Both: one would be dropped without a word.
        assert_eq!(
            publish(&["--notes", "修复", "--notes-file", "notes.txt"]),
            Err(clap::error::ErrorKind::ArgumentConflict)
        );
    }

    #[test]
    fn the_administrator_reads_beijing_time() {
        let mut v =
            serde_json::json!({"trips": [{"entered_at": "2026-11-29T02:30:00.123Z", "plate": "豫B12345"}], "n": 3});
        placecode_central::audit::beijing_times(&mut v);
        assert_eq!(v["trips"][0]["entered_at"], "2026-11-29T10:30:00+08:00");
        assert_eq!(v["trips"][0]["plate"], "豫B12345");
    }
}
