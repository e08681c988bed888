//! Desk releases end to end: published with a real `tauri signer` signature, offered to a desk,
//! fetched by the desk's real sync client and checked with the key the desk trusts. The attacks:
//! a package changed after signing, a signature made for another version, another key, a
//! centre whose stored package or version was changed behind the publisher's back, a caller
//! without a desk credential.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;
use placecode_central::audit::Actor;
use placecode_central::releases;
use placecode_core::release::PackageFormat;
use sqlx::PgPool;

/// The pinned Tauri CLI the project bundles with (`make ui` installs it).
fn tauri_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/.bin/tauri")
}

/// A new release key pair in `dir` (no password): the secret key's path and the public key's.
fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let secret = dir.join(name);
    let ok = Command::new(tauri_cli())
        .args(["signer", "generate", "--ci", "-p", "", "-f", "-w"])
        .arg(&secret)
        .output()
        .expect("tauri signer generate");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let public = secret.with_extension("key.pub");
    assert!(public.is_file(), "{}", public.display());
    (secret, public)
}

/// Signs `file` as a release is signed (its `.sig` beside it).
fn sign(secret: &Path, file: &Path) {
    let ok = Command::new(tauri_cli())
        .args(["signer", "sign", "-p", "", "-f"])
        .arg(secret)
        .arg(file)
        .output()
        .expect("tauri signer sign");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// The key number (the 8 bytes after the algorithm) of a `tauri signer` key or signature file
/// (base64 of minisign's text, whose second line is base64 of algorithm, number, key or signature).
fn key_number(file: &Path) -> [u8; 8] {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8(b64.decode(std::fs::read_to_string(file).unwrap().trim()).unwrap()).unwrap();
    let line = b64.decode(text.lines().nth(1).unwrap().trim()).unwrap();
    line[2..10].try_into().unwrap()
}

/// Rewrites the key number in such a file: what a forger controls.
fn with_key_number(file: &Path, number: [u8; 8]) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8(b64.decode(std::fs::read_to_string(file).unwrap().trim()).unwrap()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut bytes = b64.decode(lines[1].trim()).unwrap();
    bytes[2..10].copy_from_slice(&number);
    lines[1] = b64.encode(&bytes);
    std::fs::write(file, b64.encode(format!("{}\n", lines.join("\n")))).unwrap();
}

/// A real .deb of the desk's name and `version` (built by dpkg-deb), carrying `len` bytes that
/// do not compress (so it can be more than one slice), named as the bundler names it.
fn package(dir: &Path, version: &str, len: usize) -> PathBuf {
    deb(dir, version, version, len)
}

/// As [`package`], the file named for `named` while the package inside is `version`.
fn deb(dir: &Path, version: &str, named: &str, len: usize) -> PathBuf {
    deb_for(dir, version, named, PackageFormat::Deb.this_arch(), len)
}

/// A package built for `arch` (its control data and its file name).
fn deb_for(dir: &Path, version: &str, named: &str, arch: &str, len: usize) -> PathBuf {
    let root = dir.join(format!("root-{named}-{arch}"));
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/placecode-desk")).unwrap();
    let control = format!(
        "Package: placecode-desk\nVersion: {version}\nArchitecture: {arch}\nMaintainer: placecode\nDescription: test\n"
    );
    std::fs::write(root.join("DEBIAN/control"), control).unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(root.join("usr/share/placecode-desk/payload"), bytes).unwrap();
    let path = dir.join(placecode_core::release::file_name(PackageFormat::Deb, named, arch));
    let ok = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zgzip", "--build"])
        .arg(&root)
        .arg(&path)
        .output()
        .expect("dpkg-deb");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    path
}

fn refusal(e: placecode_central::error::CentralError) -> String {
    format!("{}: {e}", e.code())
}

#[sqlx::test]
async fn a_signed_release_reaches_a_desk_and_nothing_else_does(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (secret, public) = keypair(tmp.path(), "release.key");
    let (other_secret, other_public) = keypair(tmp.path(), "other.key");
    let actor = Actor::cli("");
    let publish = |p: PathBuf, key: PathBuf| {
        let pool = pool.clone();
        let actor = actor.clone();
        async move {
            let with = releases::Publication {
                signature: None,
                public_key: &key,
                notes: "修复：打印\n新增：软件更新",
                new_key: false,
            };
            releases::publish(&pool, &p, &with, &actor).await
        }
    };

    // Published: 2.5 slices of package.
    let v011 = package(tmp.path(), "0.1.1", 2 * releases::SLICE_BYTES as usize + 12_345);
    sign(&secret, &v011);
    let r = publish(v011.clone(), public.clone()).await.unwrap();
    let size = std::fs::metadata(&v011).unwrap().len();
    assert_eq!((r.version.as_str(), r.format, r.size), ("0.1.1", PackageFormat::Deb, size));
    assert!(r.size > 2 * releases::SLICE_BYTES as u64, "{}", r.size);

    // Refused at publication, nothing stored: the same version again, another key, a package
    // changed after signing, a signature made for another file, a name the bundler would not
    // give, a package whose inside says another version, bytes that are no package, the notes
    // too long, a device for a file.
    let again = publish(v011.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(again.contains("必须高于已发布过的版本 0.1.1"), "{again}");
    let v012 = package(tmp.path(), "0.1.2", 4096);
    sign(&other_secret, &v012);
    let other = publish(v012.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    // Said to the publisher in their terms: which key signed it, which file was given.
    assert!(other.starts_with("invalid") && other.contains("--public-key") && other.contains("重新签名"), "{other}");
    assert!(other.contains(&*public.display().to_string()) && !other.contains("本机"), "{other}");
    // Signed and published with another key (the release key lost, or the wrong one at hand):
    // the desks trust the first, so it is refused unless said on purpose.
    let changed_key = publish(v012.clone(), other_public.clone()).await.map_err(refusal).unwrap_err();
    assert!(changed_key.contains("与上一版所用的") && changed_key.contains("--new-key"), "{changed_key}");
    // Another key made to carry the desks' key's id (the id is a label its maker chooses): its
    // signature checks against itself, but not the last release's. Refused, on purpose or not,
    // so no desk asking by id is offered it.
    let forged_public = tmp.path().join("forged.key.pub");
    std::fs::copy(&other_public, &forged_public).unwrap();
    let genuine_id = key_number(&public);
    with_key_number(&forged_public, genuine_id);
    with_key_number(&v012.with_file_name("placecode-desk_0.1.2_amd64.deb.sig"), genuine_id);
    assert_eq!(
        placecode_core::release::key_id(&std::fs::read_to_string(&forged_public).unwrap()),
        placecode_core::release::key_id(&std::fs::read_to_string(&public).unwrap())
    );
    for new_key in [false, true] {
        let with = releases::Publication { signature: None, public_key: &forged_public, notes: "", new_key };
        let forged = releases::publish(&pool, &v012, &with, &actor).await.map_err(refusal).unwrap_err();
        assert!(forged.starts_with("invalid") && forged.contains("不是同一把公钥"), "{forged}");
    }
    // Nor as the first release of another architecture: the desks trust one key for all.
    let arm = tmp.path().join("arm");
    std::fs::create_dir_all(&arm).unwrap();
    let arm64 = deb_for(&arm, "0.1.2", "0.1.2", "arm64", 4096);
    sign(&other_secret, &arm64);
    with_key_number(&arm.join("placecode-desk_0.1.2_arm64.deb.sig"), genuine_id);
    let with = releases::Publication { signature: None, public_key: &forged_public, notes: "", new_key: false };
    let forged = releases::publish(&pool, &arm64, &with, &actor).await.map_err(refusal).unwrap_err();
    assert!(forged.contains("不是同一把公钥"), "{forged}");
    sign(&secret, &v012);
    let mut bytes = std::fs::read(&v012).unwrap();
    let last = bytes.len() - 100;
    bytes[last] ^= 0x20;
    std::fs::write(&v012, &bytes).unwrap();
    let tampered = publish(v012.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(tampered.contains("签名验证失败") && tampered.contains("重新签名"), "{tampered}");
    // Said to the publisher, not in the desks' words (请联系IT人员 to the IT office itself).
    assert!(!tampered.contains("IT人员") && !tampered.contains("本机"), "{tampered}");
    let v013 = package(tmp.path(), "0.1.3", 4096);
    let sig_of = |p: &Path| p.with_file_name(format!("{}.sig", p.file_name().unwrap().to_str().unwrap()));
    std::fs::copy(sig_of(&v012), sig_of(&v013)).unwrap();
    let relabelled = publish(v013.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(relabelled.contains("文件名与版本不符"), "{relabelled}");
    let renamed = tmp.path().join("desk-latest.deb");
    std::fs::copy(&v011, &renamed).unwrap();
    let name = publish(renamed, public.clone()).await.map_err(refusal).unwrap_err();
    assert!(name.contains("文件名"), "{name}");
    let renamed_version = deb(tmp.path(), "0.1.1", "0.1.4", 4096);
    sign(&secret, &renamed_version);
    let inside = publish(renamed_version, public.clone()).await.map_err(refusal).unwrap_err();
    assert!(inside.contains("安装包内的版本是 0.1.1，与文件名的 0.1.4 不符"), "{inside}");
    // A package renamed to another architecture (a trial's amd64 package published as `_i386`,
    // and `_AMD64` as a slot of its own): its own control data says otherwise.
    for arch in ["i386", "AMD64"] {
        let other = tmp.path().join(format!("placecode-desk_0.1.4_{arch}.deb"));
        let built = deb(tmp.path(), "0.1.4", "0.1.4", 4096);
        std::fs::rename(&built, &other).unwrap();
        sign(&secret, &other);
        let renamed_arch = publish(other, public.clone()).await.map_err(refusal).unwrap_err();
        assert!(renamed_arch.contains("安装包内的架构是 amd64"), "{renamed_arch}");
    }
    // Built and signed for `all` (the bundler never makes one; no desk asks for it): refused on
    // its name, before anything is read.
    let all = deb_for(tmp.path(), "0.1.4", "0.1.4", "all", 4096);
    sign(&secret, &all);
    let for_all = publish(all, public.clone()).await.map_err(refusal).unwrap_err();
    assert!(
        for_all.starts_with("invalid") && for_all.contains("须按架构打包") && for_all.contains("不能是 all"),
        "{for_all}"
    );
    // A version of another shape in the packager's own name: the version is blamed, not the name.
    let short = publish(tmp.path().join("placecode-desk_0.2_amd64.deb"), public.clone()).await.map_err(refusal);
    let short = short.unwrap_err();
    assert!(short.contains("版本号") && short.contains("文件名中的版本是 0.2"), "{short}");
    // The release key named for the notes (a trial published the private key as notes so).
    let key_text = std::fs::read_to_string(&secret).unwrap();
    let with = releases::Publication { signature: None, public_key: &public, notes: &key_text, new_key: false };
    let key_notes = releases::publish(&pool, &v011, &with, &actor).await.map_err(refusal).unwrap_err();
    assert!(key_notes.starts_with("invalid") && key_notes.contains("密钥或签名文件"), "{key_notes}");
    let noise = tmp.path().join("placecode-desk_0.1.5_amd64.deb");
    std::fs::write(&noise, vec![7u8; 5000]).unwrap();
    sign(&secret, &noise);
    let not_deb = publish(noise, public.clone()).await.map_err(refusal).unwrap_err();
    assert!(not_deb.contains("不是登记台的 deb 安装包"), "{not_deb}");
    let long = "字".repeat(2001);
    let with = releases::Publication { signature: None, public_key: &public, notes: &long, new_key: false };
    let long_notes = releases::publish(&pool, &v011, &with, &actor).await.map_err(refusal);
    assert!(long_notes.unwrap_err().starts_with("invalid"));
    let dev = releases::read_bounded(Path::new("/dev/zero"), 1024, "notes_file", "更新说明文件").map_err(refusal);
    assert!(dev.unwrap_err().contains("普通文件"));
    // A file that is not there is said so, with the full path it was looked for at.
    let missing = releases::read_bounded(Path::new("nokey.pub"), 1024, "public_key", "发布公钥文件").map_err(refusal);
    let missing = missing.unwrap_err();
    // A missing package is said so (not taken for a missing signature); a signature named with
    // --signature that is not there, too, with its full path.
    let gone = tmp.path().join("placecode-desk_0.9.9_amd64.deb");
    let nothing = publish(gone.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(nothing.contains("找不到安装包") && nothing.contains(&*gone.display().to_string()), "{nothing}");
    let with = releases::Publication {
        signature: Some(Path::new("nope.sig")),
        public_key: &public,
        notes: "",
        new_key: false,
    };
    let no_sig = releases::publish(&pool, &v011, &with, &actor).await.map_err(refusal).unwrap_err();
    assert!(no_sig.contains("文件不存在") && no_sig.contains("nope.sig"), "{no_sig}");
    let full = std::env::current_dir().unwrap().join("nokey.pub");
    assert!(missing.contains("文件不存在") && missing.contains(&*full.display().to_string()), "{missing}");
    let with = releases::Publication {
        signature: Some(Path::new("/dev/zero")),
        public_key: &public,
        notes: "",
        new_key: false,
    };
    let dev_sig = releases::publish(&pool, &v011, &with, &actor).await.map_err(refusal).unwrap_err();
    assert!(dev_sig.contains("无法读取签名文件：/dev/zero（应为一个普通文件）"), "{dev_sig}");
    assert_eq!(common::count(&pool, "SELECT count(*) FROM desk_releases").await, 1);

    // The desk, through its real sync client, sees it and fetches it; the file is the package.
    let desk = common::test_desk(&s, &tmp.path().join("desk"), "鼓楼物流园", "checkpoint", "鼓楼区南关街1号").await;
    let key_text = std::fs::read_to_string(&public).unwrap();
    let key_id = placecode_core::release::key_id(&key_text);
    let offered = desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().expect("offered");
    assert_eq!(offered, r);
    assert!(desk.engine.latest_release(PackageFormat::Rpm, key_id.as_deref()).await.unwrap().is_none());
    let key = placecode_core::release::public_key(&key_text).unwrap();
    let dest = tmp.path().join("update.deb");
    desk.engine.fetch_release(&offered, &key, &dest).await.unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&v011).unwrap());
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&dest).unwrap().permissions()) & 0o777,
        0o600
    );

    // A key the desk does not trust: refused, and no file stays.
    let (_, stranger) = keypair(tmp.path(), "stranger.key");
    let stranger = placecode_core::release::public_key(&std::fs::read_to_string(&stranger).unwrap()).unwrap();
    let e = desk.engine.fetch_release(&offered, &stranger, &dest).await.unwrap_err();
    assert!(e.message().contains("签名"), "{e:?}");
    assert!(!dest.exists());

    // The centre broken into: the stored package changed (its hash updated to match), then the
    // version relabelled. The desk refuses both, whatever the centre says.
    sqlx::query("UPDATE desk_releases SET package = overlay(package PLACING '\\x00'::bytea FROM 5000)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE desk_releases SET sha256 = encode(sha256(package), 'hex')").execute(&pool).await.unwrap();
    let changed = desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().unwrap();
    let e = desk.engine.fetch_release(&changed, &key, &dest).await.unwrap_err();
    assert!(e.message().contains("签名验证失败"), "{e:?}");
    assert!(!dest.exists());
    sqlx::query("UPDATE desk_releases SET version = '0.9.0'").execute(&pool).await.unwrap();
    let relabelled = desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().unwrap();
    assert_eq!(relabelled.version, "0.9.0");
    let e = desk.engine.fetch_release(&relabelled, &key, &dest).await.unwrap_err();
    assert!(e.message().contains("文件名与版本不符"), "{e:?}");

    // Without a desk's credential: nothing, not even whether a release exists.
    let http = reqwest::Client::new();
    for path in ["/api/v1/releases/latest?format=deb&arch=amd64", "/api/v1/releases/placecode-desk_0.9.0_amd64.deb"] {
        let res = http.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let res = http.get(s.url(path)).bearer_auth("pcd_nobody").send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let credential = placecode_store::Store::open(&desk.db).unwrap().enrolment().unwrap().unwrap().credential;
    for (path, status) in [
        ("/api/v1/releases/..%2F..%2Fetc%2Fpasswd", 404),
        ("/api/v1/releases/placecode-desk_0.1.1_amd64.deb", 404),
        ("/api/v1/releases/latest?format=exe&arch=amd64", 400),
        ("/api/v1/releases/latest?format=deb&arch=%27%3B%20DROP%20TABLE%20desks%3B--", 400),
        ("/api/v1/releases/latest?format=deb&arch=amd64%00", 400),
        ("/api/v1/releases/latest?format=deb&arch=amd64&key=%00", 400),
        ("/api/v1/releases/latest?format=deb&arch=amd64&key=zz", 400),
        ("/api/v1/releases/latest?format=deb&arch=amd64&key=000000000000000g", 400),
        ("/api/v1/releases/latest?format=deb&arch=amd64&key=0000000000000000", 200),
    ] {
        let res = http.get(s.url(path)).bearer_auth(&credential).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
    }
    // A key id is hexadecimal, whatever its case.
    let lower = format!(
        "/api/v1/releases/latest?format=deb&arch={}&key={}",
        PackageFormat::Deb.this_arch(),
        key_id.as_deref().unwrap().to_ascii_lowercase()
    );
    let res = http.get(s.url(&lower)).bearer_auth(&credential).send().await.unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("\"0.9.0\""), "{lower}: {body}");

    // Withdrawn: nothing offered, and it cannot be withdrawn twice; audited.
    assert_eq!(releases::withdraw(&pool, "0.9.0", &actor).await.unwrap(), 1);
    assert!(desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().is_none());
    let twice = releases::withdraw(&pool, "0.9.0", &actor).await.map_err(refusal).unwrap_err();
    assert!(twice.contains("已撤回过"), "{twice}");
    let listed = releases::list(&pool).await.unwrap();
    assert!(listed.len() == 1 && listed[0].withdrawn_at.is_some());

    // A new key on purpose: published, yet a desk trusting the first key is not offered it.
    let v100 = package(tmp.path(), "1.0.0", 4096);
    sign(&other_secret, &v100);
    let with = releases::Publication { signature: None, public_key: &other_public, notes: "", new_key: true };
    releases::publish(&pool, &v100, &with, &actor).await.unwrap();
    assert!(desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().is_none());
    let other_id = placecode_core::release::key_id(&std::fs::read_to_string(&other_public).unwrap());
    let for_new_key = desk.engine.latest_release(PackageFormat::Deb, other_id.as_deref()).await.unwrap();
    assert_eq!(for_new_key.map(|r| r.version).as_deref(), Some("1.0.0"));
    // After another key's release, a key forged with the first key's id, said on purpose to be
    // new: still refused, since that id names the first key for good (a re-trial published a
    // throw-away key's release first, then the forged one with --new-key).
    let v101 = package(tmp.path(), "1.0.1", 4096);
    sign(&other_secret, &v101);
    with_key_number(&v101.with_file_name("placecode-desk_1.0.1_amd64.deb.sig"), genuine_id);
    let with = releases::Publication { signature: None, public_key: &forged_public, notes: "", new_key: true };
    let forged = releases::publish(&pool, &v101, &with, &actor).await.map_err(refusal).unwrap_err();
    assert!(forged.contains("不是同一把公钥"), "{forged}");
    assert!(desk.engine.latest_release(PackageFormat::Deb, key_id.as_deref()).await.unwrap().is_none());
    let audited =
        common::count(&pool, "SELECT count(*) FROM audit_log WHERE action IN ('publish_release', 'withdraw_release')")
            .await;
    assert_eq!(audited, 3);
}
