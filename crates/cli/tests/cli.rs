//! The `placecode` command: exit codes and messages a script can rely on.

use std::process::Command;

fn placecode(data: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_placecode"))
        .args(args)
        .args(["--data", data.to_str().unwrap()])
        .output()
        .expect("run placecode");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn import_poster_verify_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("v.csv");
    let text = "场所类型,场所名称,所在辖区,详细地址,负责人姓名,联系电话\n\
                商场超市,甲超市,鼓楼区,中山路1号,王建国,13837800001\n\
                商场超市,乙超市,鼓楼区,鼓楼区,王建国,13837800002\n";
    std::fs::write(&csv, encoding_rs::GBK.encode(text).0).unwrap();
    let out = dir.path().join("all.pdf");

    let (code, stdout, stderr) =
        placecode(&data, &["poster", "--csv", csv.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "a rejected row: exit 2\n{stderr}");
    assert!(stderr.contains("第3行 乙超市：详细地址：只写了辖区"), "{stderr}");
    assert!(stdout.contains("已生成1张海报"), "{stdout}");
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));

    let db = placecode_store::Store::open(&data.join("desk.sqlite3")).unwrap();
    let venue = db.venues("甲超市").unwrap().remove(0);
    let code_row = db.codes(&venue.id).unwrap().remove(0);
    drop(db);
    let url = placecode_core::code::url("https://placecode.kaifeng.gov.cn", &code_row.code);
    let (code, stdout, _) = placecode(&data, &["verify", &url.to_lowercase()]);
    assert_eq!((code, stdout.trim()), (0, "有效：甲超市 · 正门 · 场所码"));

    // The same poster, photographed: decoded from the PNG page of the saved PDF.
    let fonts = placecode_poster::FontSet::discover().unwrap();
    let db = placecode_store::Store::open(&data.join("desk.sqlite3")).unwrap();
    let input = db.poster_input(&code_row.code, false, chrono::NaiveDate::default()).unwrap();
    drop(db);
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, placecode_poster::render_png(&fonts, &input, 80.0).unwrap()).unwrap();
    let (code, stdout, _) = placecode(&data, &["verify", "--image", photo.to_str().unwrap()]);
    assert_eq!((code, stdout.trim()), (0, "有效：甲超市 · 正门 · 场所码"));

    let (code, _, stderr) = placecode(&data, &["verify", "0000"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("场所码不完整"), "{stderr}");
    let (code, _, stderr) = placecode(&data, &["codes", "no-such-venue"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("未找到该场所"), "{stderr}");
    let (code, stdout, _) = placecode(&data, &["codes", &venue.id, "东门"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 2, "正门 and 东门: {stdout}");
    let (code, _, stderr) = placecode(&data, &["nonsense"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("用法"));
}

/// While a desk runs on a data folder (it holds `desk.lock`), the command line leaves it alone
/// and says why: two processes on one database lose writes.
#[test]
fn the_command_line_waits_for_a_running_desk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let lock = placecode_store::lock_data_folder(&data, std::time::Duration::ZERO).unwrap().expect("the lock");
    let (code, _, stderr) = placecode(&data, &["codes", "no-such-venue"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("登记台正在使用这个数据文件夹"), "{stderr}");
    assert!(!data.join("desk.sqlite3").exists(), "nothing opened");
    drop(lock);
    let (code, _, stderr) = placecode(&data, &["codes", "no-such-venue"]);
    assert!(stderr.contains("未找到该场所"), "{code}: {stderr}");
}
