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

/// A package of `len` bytes (more than one slice), named as the bundler names it.
fn package(dir: &Path, version: &str, len: usize) -> PathBuf {
    let path =
        dir.join(placecode_core::release::file_name(PackageFormat::Deb, version, PackageFormat::Deb.this_arch()));
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, bytes).unwrap();
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
        async move { releases::publish(&pool, &p, None, &key, "修复：打印\n新增：软件更新", &actor).await }
    };

    // Published: 2.5 slices of package.
    let v011 = package(tmp.path(), "0.1.1", 2 * releases::SLICE_BYTES as usize + 12_345);
    sign(&secret, &v011);
    let r = publish(v011.clone(), public.clone()).await.unwrap();
    assert_eq!(
        (r.version.as_str(), r.format, r.size),
        ("0.1.1", PackageFormat::Deb, std::fs::metadata(&v011).unwrap().len())
    );

    // Refused at publication, nothing stored: the same version again, an older one, another
    // key, a package changed after signing, a signature made for another file, a name the
    // bundler would not give.
    let again = publish(v011.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(again.contains("必须高于已发布的最新版本 0.1.1"), "{again}");
    let v012 = package(tmp.path(), "0.1.2", 4096);
    sign(&other_secret, &v012);
    let other = publish(v012.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(other.contains("签名") && other.starts_with("bad_request"), "{other}");
    sign(&secret, &v012);
    let mut bytes = std::fs::read(&v012).unwrap();
    bytes[100] ^= 0x20;
    std::fs::write(&v012, &bytes).unwrap();
    let tampered = publish(v012.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(tampered.contains("签名验证失败"), "{tampered}");
    let v013 = package(tmp.path(), "0.1.3", 4096);
    std::fs::copy(
        v012.with_file_name(format!("{}.sig", v012.file_name().unwrap().to_str().unwrap())),
        v013.with_file_name(format!("{}.sig", v013.file_name().unwrap().to_str().unwrap())),
    )
    .unwrap();
    let relabelled = publish(v013.clone(), public.clone()).await.map_err(refusal).unwrap_err();
    assert!(relabelled.contains("文件名与版本不符"), "{relabelled}");
    let renamed = tmp.path().join("desk-latest.deb");
    std::fs::copy(&v011, &renamed).unwrap();
    let name = publish(renamed, public.clone()).await.map_err(refusal).unwrap_err();
    assert!(name.contains("文件名"), "{name}");
    let long_notes = releases::publish(&pool, &v011, None, &public, &"字".repeat(2001), &actor).await.map_err(refusal);
    assert!(long_notes.unwrap_err().starts_with("invalid"));
    assert_eq!(common::count(&pool, "SELECT count(*) FROM desk_releases").await, 1);
    drop(other_public);

    // The desk, through its real sync client, sees it and fetches it; the file is the package.
    let desk = common::test_desk(&s, &tmp.path().join("desk"), "鼓楼物流园", "checkpoint", "鼓楼区南关街1号").await;
    let offered = desk.engine.latest_release(PackageFormat::Deb).await.unwrap().expect("offered");
    assert_eq!(offered, r);
    assert!(desk.engine.latest_release(PackageFormat::Rpm).await.unwrap().is_none());
    let key = placecode_core::release::public_key(&std::fs::read_to_string(&public).unwrap()).unwrap();
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
    let new_hash: String =
        sqlx::query_scalar("SELECT encode(sha256(package), 'hex') FROM desk_releases").fetch_one(&pool).await.unwrap();
    sqlx::query("UPDATE desk_releases SET sha256 = $1").bind(&new_hash).execute(&pool).await.unwrap();
    let changed = desk.engine.latest_release(PackageFormat::Deb).await.unwrap().unwrap();
    let e = desk.engine.fetch_release(&changed, &key, &dest).await.unwrap_err();
    assert!(e.message().contains("签名验证失败"), "{e:?}");
    assert!(!dest.exists());
    sqlx::query("UPDATE desk_releases SET version = '0.9.0'").execute(&pool).await.unwrap();
    let relabelled = desk.engine.latest_release(PackageFormat::Deb).await.unwrap().unwrap();
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
        ("/api/v1/releases/latest?format=deb&arch=%27%3B%20DROP%20TABLE%20desks%3B--", 200),
    ] {
        let res = http.get(s.url(path)).bearer_auth(&credential).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
    }

    // Withdrawn: nothing offered; audited.
    assert_eq!(releases::withdraw(&pool, "0.9.0", &actor).await.unwrap(), 1);
    assert!(desk.engine.latest_release(PackageFormat::Deb).await.unwrap().is_none());
    let audited =
        common::count(&pool, "SELECT count(*) FROM audit_log WHERE action IN ('publish_release', 'withdraw_release')")
            .await;
    assert_eq!(audited, 2);
}
