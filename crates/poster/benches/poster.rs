//! Poster benchmarks (issue: venue codes and posters). Run with `make bench`.
//!
//! - One poster, warm (fonts loaded): time and size; target at most 100 ms and 300 KB.
//! - 500 posters into one PDF: time and peak memory; target at most 30 s.
//! - Baseline in the same run: the QR alone (encode + draw), the part no font work touches.

use std::time::{Duration, Instant};

use placecode_core::code::{self, SigningKey};
use placecode_core::venue::{Category, CodeKind, District, Venue};
use placecode_poster::{qr, render, FontSet, PosterInput};

fn input(key: &SigningKey, i: u64) -> PosterInput {
    let c = key.sign(CodeKind::General, i);
    PosterInput {
        url: code::url("https://placecode.kaifeng.gov.cn", &c),
        code: c,
        label: format!("{}号入口", i % 9 + 1),
        venue: Venue {
            id: i.to_string(),
            kind: CodeKind::General,
            category: Category::ALL[i as usize % Category::ALL.len()],
            name: format!("开封市第{i}农贸市场综合服务中心"),
            district: District::ALL[i as usize % District::ALL.len()],
            address: format!("中山路{i}号"),
            manager_name: "王建国".into(),
            manager_phone: "13837800001".into(),
            manager_name_masked: "王**".into(),
            manager_phone_masked: "138****0001".into(),
            served: false,
            created_at: String::new(),
            updated_at: String::new(),
            rejected: None,
        },
        supervision_phone: "0371-23456789".into(),
        issued: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(),
        landscape: false,
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let key = SigningKey::new(1, [2; 32]);
    let t = Instant::now();
    let fonts = FontSet::discover().expect("fonts (make deps)");
    let load = t.elapsed();

    let mut qr_times: Vec<Duration> = (0..50)
        .map(|i| {
            let t = Instant::now();
            let code = qr(&input(&key, i).url).expect("qr");
            std::hint::black_box(code.to_colors());
            t.elapsed()
        })
        .collect();
    qr_times.sort();

    let _ = render(&fonts, &[input(&key, 0)]).expect("warm-up");
    let mut times = Vec::new();
    let mut size = 0;
    for i in 0..50 {
        let t = Instant::now();
        let pdf = render(&fonts, &[input(&key, i)]).expect("poster");
        times.push(t.elapsed());
        size = size.max(pdf.len());
    }
    times.sort();

    let before = peak_rss_mb();
    let t = Instant::now();
    let many: Vec<PosterInput> = (0..500).map(|i| input(&key, i)).collect();
    let pdf = render(&fonts, &many).expect("500 posters");
    let bulk = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("Fonts loaded in {:.0} ms (Noto Sans CJK regular and bold, HanaMinB).", ms(load));
    println!();
    println!("| what | median | p99 / max | size |");
    println!("|---|---|---|---|");
    println!("| baseline: QR only (encode + modules) | {:.2} ms | {:.2} ms | |", ms(qr_times[25]), ms(qr_times[49]));
    println!(
        "| one poster, warm | {:.1} ms | {:.1} ms | {:.0} KB |",
        ms(times[25]),
        ms(times[49]),
        size as f64 / 1024.0
    );
    println!(
        "| 500 posters in one PDF | {:.2} s | | {:.1} MB, peak RSS {:.0} MB (before: {:.0} MB) |",
        bulk.as_secs_f64(),
        pdf.len() as f64 / 1e6,
        peak_rss_mb(),
        before
    );
}
