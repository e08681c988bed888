//! `placecode`: the core's rules from the command line, for headless and batch use.
//!
//! ```text
//! placecode import VENUES.csv            import venues (UTF-8 or GBK) with a row-by-row report
//! placecode codes VENUE_ID [ENTRANCE]    list a venue's codes, issuing one for ENTRANCE if new
//! placecode poster VENUE_ID|--csv FILE --out FILE.pdf [--landscape]
//! placecode verify CODE|URL|--image PHOTO  check a code: signature, venue, entrance, revoked
//! ```
//! Options: `--data DIR` (default: `$PLACECODE_DATA_DIR`, else ./placecode-data),
//! `--base-url URL`, `--phone NUMBER` (saved as the desk's poster settings).
//! Exit codes: 0 done; 1 bad input or a failed check; 2 some rows rejected; 3 storage or file error.

use std::path::PathBuf;
use std::process::ExitCode;

use placecode_core::code::SigningKey;
use placecode_core::Error as Rule;
use placecode_poster::FontSet;
use placecode_store::{Error, Store};

const USAGE: &str = "用法：
  placecode import 场所.csv
  placecode codes 场所ID [入口名称]
  placecode poster 场所ID|--csv 场所.csv --out 海报.pdf [--landscape]
  placecode verify 场所码或网址 | --image 海报照片.jpg
选项：--data 目录  --base-url 网址  --phone 监督电话";

struct Args {
    positional: Vec<String>,
    data: PathBuf,
    base_url: String,
    phone: String,
    out: Option<PathBuf>,
    csv: Option<PathBuf>,
    landscape: bool,
    base_url_given: bool,
    phone_given: bool,
    image: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        positional: Vec::new(),
        data: std::env::var_os("PLACECODE_DATA_DIR").map_or_else(|| PathBuf::from("placecode-data"), PathBuf::from),
        base_url: placecode_store::codes_defaults::BASE_URL.into(),
        phone: placecode_store::codes_defaults::SUPERVISION_PHONE.into(),
        out: None,
        csv: None,
        landscape: false,
        base_url_given: false,
        phone_given: false,
        image: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} 后面缺少值"));
        match a.as_str() {
            "--data" => args.data = value("--data")?.into(),
            "--base-url" => {
                args.base_url = value("--base-url")?;
                args.base_url_given = true;
            }
            "--phone" => {
                args.phone = value("--phone")?;
                args.phone_given = true;
            }
            "--out" => args.out = Some(value("--out")?.into()),
            "--csv" => args.csv = Some(value("--csv")?.into()),
            "--image" => args.image = Some(value("--image")?.into()),
            "--landscape" => args.landscape = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("未知选项：{s}")),
            _ => args.positional.push(a),
        }
    }
    Ok(args)
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("错误：{e}");
    if let Some(Rule::Invalid(fields)) = e.rule() {
        for f in fields.iter().skip(1) {
            eprintln!("      {}", f.message);
        }
    }
    match e {
        Error::Storage(_) | Error::Rule(Rule::Io(_)) => ExitCode::from(3),
        _ => ExitCode::from(1),
    }
}

/// The desk's store and key, with the data folder's lock held while the command runs: a desk
/// running on the same folder is asked to close first (two processes on one database lose
/// writes).
fn open(args: &Args) -> Result<(Store, SigningKey), Error> {
    let Some(lock) = placecode_store::lock_data_folder(&args.data, std::time::Duration::ZERO)? else {
        return Err(Error::invalid("data", "登记台正在使用这个数据文件夹：请先关闭登记台，再运行此命令"));
    };
    // Held until the process ends.
    std::mem::forget(lock);
    let mut store = Store::open(&args.data.join("desk.sqlite3"))?;
    let key = placecode_store::keys::for_store(&args.data, &mut store)?;
    Ok((store, key))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(m) => {
            if !m.is_empty() {
                eprintln!("{m}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    match run(&args) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run(args: &Args) -> Result<ExitCode, Error> {
    let command = args.positional.first().map(String::as_str).unwrap_or("");
    match command {
        "import" => {
            let file = args.positional.get(1).ok_or_else(|| Error::bad_file("请指定CSV文件"))?;
            let bytes = std::fs::read(file)?;
            let (mut store, _) = open(args)?;
            let report = store.import_venues_csv(&bytes)?;
            println!("共{}行，导入{}行，驳回{}行", report.total, report.imported, report.rejected.len());
            for r in &report.rejected {
                println!("第{}行 {}：{}", r.line, r.name, r.reasons.join("；"));
            }
            for w in &report.warnings {
                println!("第{}行 {}：{}", w.line, w.name, w.reasons.join("；"));
            }
            Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        "codes" => {
            let venue = args.positional.get(1).ok_or_else(|| Error::bad_file("请指定场所ID"))?;
            let (mut store, key) = open(args)?;
            store.venue(venue)?;
            if let Some(entrance) = args.positional.get(2) {
                store.issue_code(venue, entrance, &key)?;
            }
            for c in store.codes(venue)? {
                let state = if c.revoked_at.is_some() { "已作废" } else { "有效" };
                let base = store.poster_settings()?.public_base_url;
                println!("{}\t{}\t{}\t{}", c.code, c.label, state, placecode_core::code::url(&base, &c.code));
            }
            Ok(ExitCode::SUCCESS)
        }
        "poster" => poster(args),
        "verify" => {
            let (store, key) = open(args)?;
            let check = match (&args.image, args.positional.get(1)) {
                (Some(image), _) => {
                    store.check_code(&placecode_poster::scan::one_code(&std::fs::read(image)?)?, &key)?
                }
                (None, Some(input)) => store.check_code(input, &key)?,
                (None, None) => return Err(Error::bad_file("请指定场所码、网址或 --image 照片")),
            };
            println!("{}", check.chinese());
            let ok = check.verified && check.known.as_ref().is_some_and(|c| c.revoked_at.is_none());
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Posters for one venue (every active code) or for every venue of a CSV (imported first).
fn poster(args: &Args) -> Result<ExitCode, Error> {
    let out = args.out.clone().ok_or_else(|| Error::bad_file("请用 --out 指定输出的PDF文件"))?;
    let (mut store, key) = open(args)?;
    let mut venue_ids = Vec::new();
    let mut rejected = false;
    if let Some(csv) = &args.csv {
        let before: std::collections::HashSet<String> = store.venues("")?.into_iter().map(|v| v.id).collect();
        let report = store.import_venues_csv(&std::fs::read(csv)?)?;
        for r in &report.rejected {
            eprintln!("第{}行 {}：{}", r.line, r.name, r.reasons.join("；"));
        }
        rejected = !report.rejected.is_empty();
        venue_ids.extend(store.venues("")?.into_iter().map(|v| v.id).filter(|id| !before.contains(id)));
    } else {
        venue_ids.push(args.positional.get(1).ok_or_else(|| Error::bad_file("请指定场所ID或 --csv"))?.clone());
    }
    let fonts = FontSet::discover()?;
    let today = chrono::Utc::now().with_timezone(&placecode_store::shanghai()).date_naive();
    if args.base_url_given || args.phone_given {
        let mut settings = store.poster_settings()?;
        if args.base_url_given {
            settings.public_base_url = args.base_url.clone();
        }
        if args.phone_given {
            settings.supervision_phone = args.phone.clone();
        }
        store.set_poster_settings(&settings)?;
    }
    let inputs = store.poster_inputs(&venue_ids, &key, args.landscape, today)?;
    let pdf = placecode_poster::render(&fonts, &inputs)?;
    std::fs::write(&out, pdf)?;
    println!("已生成{}张海报：{}", inputs.len(), out.display());
    Ok(if rejected { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
