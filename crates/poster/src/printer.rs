//! Printing posters straight to a printer through CUPS, the print service of Linux desktops
//! (Debian, Ubuntu, UOS, Kylin) and of macOS: the printers it offers, and a PDF handed to one of
//! them with `lp`, the CUPS client those systems carry. The PDF goes through `lp`'s standard
//! input, so nothing is left in a temporary file; no shell is involved, and only a printer that
//! CUPS lists is accepted, so a name from the window cannot become an option of `lp`.
//!
//! `CUPS_SERVER` chooses the CUPS server, as for every CUPS client (tests run their own).

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use placecode_core::{Error, Result};
use serde::Serialize;

/// At most this many copies of each poster in one print.
pub const MAX_COPIES: u32 = 50;

/// At most this many sheets (posters × copies) in one print: about four reams.
pub const MAX_SHEETS: u64 = 2_000;

/// A print of `posters` posters, `copies` of each, stays within [`MAX_SHEETS`].
pub fn check_sheets(posters: usize, copies: u32) -> Result<()> {
    let sheets = (posters as u64).saturating_mul(u64::from(copies));
    if sheets > MAX_SHEETS {
        return Err(Error::invalid(
            "copies",
            format!("份数：{posters}张海报每张{copies}份，共{sheets}张纸，超过一次打印的上限{MAX_SHEETS}张：请减少份数或分批打印"),
        ));
    }
    Ok(())
}

/// A printer CUPS offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Printer {
    /// The queue's name, as CUPS knows it.
    pub name: String,
    /// The system's default printer.
    pub is_default: bool,
}

/// A print handed to CUPS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrintJob {
    pub printer: String,
    /// CUPS's request id ("办公室-12"), to find the job in the system's print queue.
    pub job: String,
    /// Posters in the file.
    pub pages: u32,
    pub copies: u32,
}

const NO_CUPS: &str = "本机没有打印服务（CUPS）：请先安装打印机，或保存为PDF后在别处打印";

fn cups(program: &str) -> Command {
    let mut c = Command::new(program);
    // Messages in English whatever the desktop's language, so they can be read here; what the
    // clerk sees is this module's Chinese.
    c.env("LC_ALL", "C").env("LANG", "C").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// How long the print service may take over one request (a scheduler that accepts connections
/// and never answers would otherwise hold the clerk's print, and the desk's command, for ever).
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// Runs a CUPS client to the end, with `input` on its standard input, and gives up after
/// `within`: the program is killed and the clerk told the service did not answer.
fn exec(mut command: Command, input: Option<&[u8]>, within: Duration) -> Result<Output> {
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Printer(NO_CUPS.into()),
        _ => Error::Printer(format!("无法启动打印服务：{e}")),
    })?;
    // Written and read beside the wait, so a full pipe never stalls either side. A refusal
    // closes standard input early; what the program says then is the reason to report.
    if let (Some(mut stdin), Some(data)) = (child.stdin.take(), input) {
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + within;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Printer("打印服务没有回应：请稍后再试，或点“保存PDF”后在别处打印".into()));
            }
        }
    };
    Ok(Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() })
}

/// Reads a child's pipe to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        bytes
    })
}

fn run(command: Command) -> Result<String> {
    let out = exec(command, None, ANSWER_WITHIN)?;
    if !out.status.success() {
        return Err(refusal(&String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// CUPS's complaint, told in Chinese.
fn refusal(stderr: &str) -> Error {
    let s = stderr.to_ascii_lowercase();
    let reason = if s.contains("scheduler is not running")
        || s.contains("connection refused")
        || s.contains("bad file descriptor")
    {
        "打印服务（CUPS）没有运行：请重启电脑或联系管理员；也可以点“保存PDF”后在别处打印".to_owned()
    } else if s.contains("not accepting") {
        "该打印机暂停接收任务：请在系统的打印机设置中恢复".to_owned()
    } else if s.contains("does not exist") || s.contains("unknown destination") || s.contains("not found") {
        "打印机不存在：请重新选择".to_owned()
    } else if s.contains("forbidden") || s.contains("not authorized") {
        "打印机拒绝了这次打印（没有权限）：请联系管理员检查打印机设置".to_owned()
    } else {
        "打印失败：打印服务拒绝了这次打印，请检查打印机后重试，或点“保存PDF”后在别处打印".to_owned()
    };
    Error::Printer(reason)
}

/// The printers CUPS offers, the default first; none when it has none. An error when the print
/// service is missing or not running (`lpstat -e` alone lists nothing then, as if there were no
/// printer). One `lpstat` answers all three: the scheduler's state, the default, the queues.
pub fn printers() -> Result<Vec<Printer>> {
    let mut lpstat = cups("lpstat");
    lpstat.args(["-r", "-d", "-e"]);
    listed(&run(lpstat)?)
}

/// The printers in what `lpstat -r -d -e` said.
fn listed(said: &str) -> Result<Vec<Printer>> {
    if said.contains("scheduler is not running") {
        return Err(refusal("scheduler is not running"));
    }
    let default = said.lines().find_map(|l| l.strip_prefix("system default destination: ")).map(str::trim);
    // A queue's name has no spaces (CUPS allows none); the status lines all do.
    let mut list: Vec<Printer> = said
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains(char::is_whitespace))
        .map(|n| Printer { name: n.to_owned(), is_default: default == Some(n) })
        .collect();
    list.sort_by_key(|p| !p.is_default);
    Ok(list)
}

/// Checks the printer and the number of copies a clerk chose: the printer must be one CUPS
/// offers now; copies 1 to [`MAX_COPIES`].
pub fn check(printer: &str, copies: u32, offered: &[Printer]) -> Result<()> {
    let mut f = placecode_core::FormCheck::new("");
    let chosen = if printer.trim().is_empty() {
        Err("请选择打印机".to_owned())
    } else if !offered.iter().any(|p| p.name == printer) {
        Err("本机没有这台打印机，请重新选择".to_owned())
    } else {
        Ok(())
    };
    f.field("printer", "打印机", chosen);
    let in_range = (1..=MAX_COPIES).contains(&copies);
    f.field("copies", "份数", if in_range { Ok(()) } else { Err(format!("请填1到{MAX_COPIES}之间的数")) });
    f.finish(|| Some(()))
}

/// Sends a PDF of `pages` A4 posters to `printer`, `copies` of each, titled `title` in the
/// print queue. Each page keeps its own orientation (a landscape poster is a landscape page).
pub fn print_pdf(pdf: &[u8], pages: u32, printer: &str, copies: u32, title: &str) -> Result<PrintJob> {
    check(printer, copies, &printers()?)?;
    let mut lp = cups("lp");
    lp.args(["-d", printer, "-n", &copies.to_string(), "-o", "media=A4", "-t", title, "--", "-"]);
    let out = exec(lp, Some(pdf), ANSWER_WITHIN)?;
    if !out.status.success() {
        return Err(refusal(&String::from_utf8_lossy(&out.stderr)));
    }
    // "request id is 办公室-12 (1 file(s))"
    let said = String::from_utf8_lossy(&out.stdout);
    let job = said
        .split_whitespace()
        .skip_while(|w| *w != "is")
        .nth(1)
        .map(str::to_owned)
        .ok_or_else(|| Error::Printer(format!("打印服务的回答无法识别：{}", said.trim())))?;
    Ok(PrintJob { printer: printer.to_owned(), job, pages, copies })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every complaint of the print service has its English for a desk that speaks it.
    #[test]
    fn every_printing_complaint_is_said_in_english_too() {
        let mut said: Vec<String> = [
            "lpstat: Scheduler is not running.",
            "lp: Destination \"x\" is not accepting jobs.",
            "lp: The printer or class does not exist.",
            "lp: Forbidden",
            "lp: something else",
        ]
        .into_iter()
        .map(|e| refusal(e).to_string())
        .collect();
        said.push(NO_CUPS.to_owned());
        for zh in said {
            let en = placecode_core::english::english(&zh);
            let chinese = en.chars().any(|c| ('\u{3400}'..='\u{9fff}').contains(&c));
            assert!(!en.starts_with("Please check") && !chinese, "{zh} → {en}");
        }
    }

    fn offered() -> Vec<Printer> {
        vec![
            Printer { name: "前台".into(), is_default: true },
            Printer { name: "HP_LaserJet".into(), is_default: false },
        ]
    }

    #[test]
    fn a_printer_must_be_one_cups_offers_and_copies_within_limits() {
        assert!(check("前台", 1, &offered()).is_ok());
        assert!(check("HP_LaserJet", MAX_COPIES, &offered()).is_ok());
        for (printer, copies, fields) in [
            ("", 1, vec!["printer"]),
            ("  ", 1, vec!["printer"]),
            ("-o", 1, vec!["printer"]),
            ("前台 ", 1, vec!["printer"]),
            ("前台; rm -rf /", 1, vec!["printer"]),
            ("前台", 0, vec!["copies"]),
            ("前台", MAX_COPIES + 1, vec!["copies"]),
            ("😀", u32::MAX, vec!["printer", "copies"]),
        ] {
            let e = check(printer, copies, &offered()).unwrap_err();
            assert_eq!(e.code(), "invalid", "{printer:?} {copies}");
            assert_eq!(e.fields(), fields, "{printer:?} {copies}");
        }
        let long = "打".repeat(10_000);
        assert_eq!(check(&long, 1, &offered()).unwrap_err().fields(), ["printer"]);
    }

    #[test]
    fn a_print_service_that_never_answers_is_given_up_on() {
        let started = Instant::now();
        let mut hung = Command::new("sleep");
        hung.arg("30").stdout(Stdio::piped()).stderr(Stdio::piped());
        let e = exec(hung, Some(&[0u8; 1 << 20]), Duration::from_millis(300)).unwrap_err();
        assert_eq!(e.code(), "printer");
        assert!(e.to_string().contains("没有回应"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

        // One that answers: its output, a megabyte through standard input and back.
        let mut cat = Command::new("cat");
        cat.stdout(Stdio::piped()).stderr(Stdio::piped());
        let out = exec(cat, Some(&vec![b'x'; 1 << 20]), Duration::from_secs(10)).unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), 1 << 20);
    }

    #[test]
    fn printers_are_read_from_one_lpstat_answer() {
        let two = "scheduler is running\nsystem default destination: office\n前台\noffice\n";
        assert_eq!(
            listed(two).unwrap(),
            [Printer { name: "office".into(), is_default: true }, Printer { name: "前台".into(), is_default: false }]
        );
        assert_eq!(listed("scheduler is running\nno system default destination\n").unwrap(), []);
        assert_eq!(listed("scheduler is not running\n").unwrap_err().code(), "printer");
    }

    #[test]
    fn cups_complaints_are_told_in_chinese() {
        for (stderr, says) in [
            ("lpstat: Scheduler is not running.", "没有运行"),
            ("lp: Destination \"X\" is not accepting jobs.", "暂停"),
            ("lp: The printer or class does not exist.", "不存在"),
            ("lp: Forbidden", "没有权限"),
            ("lp: something else", "打印失败"),
        ] {
            let e = refusal(stderr);
            assert_eq!(e.code(), "printer");
            assert!(e.to_string().contains(says), "{stderr} → {e}");
            assert!(!e.to_string().contains("lp"), "no CUPS English reaches the clerk: {e}");
        }
    }

    #[test]
    fn a_print_is_at_most_so_many_sheets() {
        assert!(check_sheets(40, 50).is_ok());
        assert!(check_sheets(2_000, 1).is_ok());
        for (posters, copies) in [(41, 50), (2_001, 1), (usize::MAX, MAX_COPIES)] {
            let e = check_sheets(posters, copies).unwrap_err();
            assert_eq!((e.code(), e.fields()), ("invalid", vec!["copies"]), "{posters} × {copies}");
        }
        assert_eq!(crate::check_count(0).unwrap_err().fields(), ["venue_ids"]);
        assert!(crate::check_count(crate::MAX_POSTERS).is_ok());
        assert!(crate::check_count(crate::MAX_POSTERS + 1).unwrap_err().to_string().contains("一次最多1000张"));
    }
}
