//! `placecode-central`: serve, or run an administrator's command.

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use placecode_central::{db, enrol, risk, trace, Config, Keys, ServeConfig};
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
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Revoke a desk's credential: every later call of it is refused.
    RevokeDesk { desk: Uuid },
    /// Make a tracing credential (追溯查询凭证) for the tracing API.
    TracerToken {
        #[arg(long)]
        name: String,
    },
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
        #[arg(long)]
        checkpoint: Option<Uuid>,
        #[arg(long)]
        destination: Option<Uuid>,
        /// open, closed, overdue, unmatched or all
        #[arg(long)]
        status: Option<String>,
        #[arg(long, env = "PLACECODE_OVERDUE_HOURS", default_value_t = placecode::store::DEFAULT_OVERDUE_HOURS)]
        overdue_hours: i64,
    },
}

#[derive(Subcommand)]
enum Trace {
    /// Every visit of a person in a window.
    Person {
        #[arg(long)]
        id_number: String,
        #[arg(long)]
        from: DateTime<Utc>,
        #[arg(long)]
        to: DateTime<Utc>,
    },
    /// Everyone at a venue in a window.
    Venue {
        #[arg(long)]
        venue: Uuid,
        #[arg(long)]
        from: DateTime<Utc>,
        #[arg(long)]
        to: DateTime<Utc>,
    },
    /// Everyone who overlapped a person at any venue within N hours over the last 14 days.
    Overlap {
        #[arg(long)]
        id_number: String,
        #[arg(long, default_value_t = 2)]
        hours: i64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let json = std::env::var("PLACECODE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    let cli = Cli::parse();
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
        local_times(&mut v);
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
    };
    let actor = format!("admin-cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    match admin {
        Admin::EnrolToken { venues, districts, note } => {
            println!("{}", enrol::make_token(&pool, &venues, &districts, &note).await?);
        }
        Admin::RevokeDesk { desk } => {
            enrol::revoke_desk(&pool, desk).await?;
            println!("revoked {desk}");
        }
        Admin::TracerToken { name } => println!("{}", trace::make_tracer(&pool, &name).await?),
        Admin::ImportRisk { file, replace } => {
            let bytes = std::fs::read(&file)?;
            let report = risk::import(&pool, &keys().await?, &bytes, replace).await?;
            print(serde_json::to_value(report)?);
        }
        Admin::ClearColour { id_number, note } => {
            let cleared = placecode_central::raised::clear(&pool, &keys().await?, &actor, &id_number, &note).await?;
            print(serde_json::json!({ "cleared": cleared }));
        }
        Admin::Trace(Trace::Person { id_number, from, to }) => {
            let rows =
                trace::person(&pool, &keys().await?, &actor, &trace::PersonQuery { id_number, from, to }).await?;
            print(serde_json::json!({ "visits": rows }));
        }
        Admin::Trace(Trace::Venue { venue, from, to }) => {
            let rows =
                trace::venue(&pool, &keys().await?, &actor, &trace::VenueQuery { venue_id: venue, from, to }).await?;
            print(serde_json::json!({ "visits": rows }));
        }
        Admin::Trace(Trace::Overlap { id_number, hours }) => {
            let q = trace::OverlapQuery { id_number, hours };
            let rows = trace::overlap(&pool, &keys().await?, &actor, &q, Utc::now()).await?;
            print(serde_json::json!({ "overlaps": rows }));
        }
        Admin::Trips { checkpoint, destination, status, overdue_hours } => {
            let q = placecode_central::trips::TripQuery { checkpoint, destination, status };
            let s = placecode_central::trips::supervise(&pool, &keys().await?, &actor, &q, overdue_hours, Utc::now())
                .await?;
            print(serde_json::to_value(s)?);
        }
        Admin::Purge => {
            let dropped = db::maintain_partitions(&pool, cfg.retention_days, cfg.audit_days).await?;
            print(serde_json::json!({ "dropped": dropped }));
        }
        Admin::RotateRiskEpoch => {
            let e = risk::rotate(&pool, &keys().await?).await?;
            print(serde_json::json!({ "epoch": e.epoch, "bits": e.bits }));
        }
        Admin::RotateDataKey => {
            keys().await?;
            let rotated = placecode_central::fields::DataKeys::rotate(&cfg.data_key_path())?;
            print(serde_json::json!({ "current": format!("{:08x}", rotated.current()),
                "next": "restart every server, then run `admin reseal`" }));
        }
        Admin::Reseal => {
            let mut k = keys().await?;
            let (resealed, used) = placecode_central::people::reseal(&pool, &k).await?;
            k.data.retain(&cfg.data_key_path(), &used)?;
            print(serde_json::json!({ "resealed": resealed, "current": format!("{:08x}", k.data.current()) }));
        }
    }
    Ok(())
}

/// The district keys `--district` takes, each with its name in `--help`.
fn district_keys() -> clap::builder::PossibleValuesParser {
    placecode::venue::District::ALL
        .iter()
        .map(|d| clap::builder::PossibleValue::new(d.key()).help(d.label()))
        .collect::<Vec<_>>()
        .into()
}

/// What the administrator reads is in Beijing time (as the desks show it); the JSON API keeps
/// UTC. Every RFC 3339 time in the output is rewritten with its +08:00 offset.
fn local_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                *s = t.with_timezone(&placecode::store::shanghai()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(local_times),
        serde_json::Value::Object(o) => o.values_mut().for_each(local_times),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_administrator_reads_beijing_time() {
        let mut v =
            serde_json::json!({"trips": [{"entered_at": "2026-11-29T02:30:00.123Z", "plate": "豫B12345"}], "n": 3});
        super::local_times(&mut v);
        assert_eq!(v["trips"][0]["entered_at"], "2026-11-29T10:30:00+08:00");
        assert_eq!(v["trips"][0]["plate"], "豫B12345");
    }
}
