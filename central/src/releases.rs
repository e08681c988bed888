//! Desk releases (docs/updates.md). An administrator publishes a package with the signature
//! made where it was built; the centre checks that signature with the release key before it
//! keeps the package (a wrong file or key is caught at once, not on a hundred desks), and
//! offers the newest release of each format and architecture to the desks. The desks check
//! the signature again with the key their own package installed: the centre is a mirror, not a
//! signer.

use std::path::Path;

use placecode_core::release::{self, PackageFormat, Release};
use sqlx::PgPool;

use crate::audit::Actor;
use crate::error::{CentralError, Result};

/// A package is sent in slices of this size, one short query each.
pub const SLICE_BYTES: i64 = 1 << 20;

/// A refusal of what the administrator gave, naming the option.
fn refuse(field: &str, message: impl Into<String>) -> CentralError {
    CentralError::Invalid { field: field.to_owned(), message: message.into() }
}

fn refused(field: &str, e: placecode_core::Error) -> CentralError {
    match e {
        placecode_core::Error::Invalid(mut fields) if !fields.is_empty() => CentralError::invalid(fields.remove(0)),
        other => refuse(field, other.to_string()),
    }
}

/// Reads a regular file the administrator named (not a device, a pipe or a folder), at most
/// `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64, field: &str, what: &str) -> Result<Vec<u8>> {
    use placecode_core::files::{shown, NotRead};
    placecode_core::files::read_bounded(path, limit).map_err(|e| match e {
        // The full path: a relative one is read from where the command runs (`make
        // admin-central` runs it from the project's folder, not the publisher's).
        NotRead::Missing => refuse(field, placecode_core::files::missing(what, path)),
        NotRead::Unreadable => refuse(field, format!("无法读取{what}：{}（应为一个普通文件）", shown(path))),
        NotRead::TooLarge => refuse(field, format!("{what}过大（超过{} KB）", limit / 1024)),
    })
}

/// What `publish` is given besides the package.
pub struct Publication<'a> {
    /// The signature file, when not `<package>.sig`.
    pub signature: Option<&'a Path>,
    /// The release key's public half.
    pub public_key: &'a Path,
    pub notes: &'a str,
    /// The release key is not the one the last release was signed with, on purpose.
    pub new_key: bool,
}

/// Publishes `package` (named as the bundler names it) with its signature, after checking: the
/// signature with the release key; the package's own name and version against its file name;
/// a version newer than every one ever published for its format and architecture (withdrawn
/// ones too); the same release key as the last release of any format and architecture unless
/// `new_key` (and never a key that only carries that key's id).
pub async fn publish(pool: &PgPool, package: &Path, with: &Publication<'_>, actor: &Actor) -> Result<Release> {
    let name = package.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (format, version, arch) =
        release::parse_file_name(name).ok_or_else(|| refused("package", release::file_name_refusal(name)))?;
    // The desk is a program built for one architecture; no desk asks for `all` or `noarch`, so
    // such a package would sit published and offered to no one.
    if matches!(arch.as_str(), "all" | "noarch") {
        return Err(refuse("package", format!("登记台安装包须按架构打包（如 {}），不能是 {arch}", format.this_arch())));
    }
    let notes = release::notes(with.notes).map_err(|e| refused("notes", e))?;
    let sig_path =
        with.signature.map(Path::to_path_buf).unwrap_or_else(|| package.with_file_name(format!("{name}.sig")));
    // The package first: a missing package is not a missing signature.
    if !package.exists() {
        return Err(refuse("package", placecode_core::files::missing("安装包", package)));
    }
    // A file the publisher named is told as it is; the one beside the package, with how to make it.
    let signature = read_bounded(&sig_path, 4096, "signature", "签名文件").map_err(|e| match with.signature {
        Some(_) => e,
        None => refuse(
            "signature",
            format!(
                "读不到签名文件 {}：请先用 tauri signer sign 为安装包签名，或用 --signature 指明签名文件",
                placecode_core::files::shown(&sig_path)
            ),
        ),
    })?;
    let signature =
        String::from_utf8(signature).map_err(|_| refuse("signature", "签名文件格式不对"))?.trim().to_owned();
    let key_text = String::from_utf8(read_bounded(with.public_key, 4096, "public_key", "发布公钥文件")?)
        .map_err(|_| refuse("public_key", "发布公钥文件格式不对"))?;
    let key = release::public_key(&key_text).map_err(|e| refused("public_key", e))?;
    let key_id = release::key_id(&key_text).ok_or_else(|| refuse("public_key", "发布公钥文件格式不对"))?;
    // The desks' wording of a signature made with another key ("本机的发布公钥") is not the
    // publisher's: say which key signed it and which was given.
    if let Some(signed_with) = release::key_id(&signature).filter(|id| *id != key_id) {
        return Err(refuse(
            "public_key",
            format!(
                "安装包是用编号 {signed_with} 的发布密钥签名的，而 --public-key 给出的 {} 是编号 {key_id} 的公钥：\
                 请核对公钥文件，或用与之配对的私钥重新签名",
                with.public_key.display()
            ),
        ));
    }
    let bytes = read_bounded(package, release::MAX_PACKAGE_BYTES, "package", "安装包")?;
    let mut offered = Release {
        version,
        format,
        arch,
        notes,
        published_at: chrono::Utc::now(),
        size: bytes.len() as u64,
        sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        },
        signature,
        key_id,
    };
    let verifier = release::Verifier::new(&key, &offered).map_err(|e| refused("signature", e))?;
    // The desks' wording ("本机的发布公钥", "请联系IT人员") is not the publisher's.
    verifier.check(&mut &bytes[..]).map_err(|_| {
        refuse(
            "signature",
            "签名验证失败：安装包在签名后被改动过，或签名不是用与 --public-key 配对的私钥做的；请用发布密钥重新签名",
        )
    })?;
    release::check_package(format, &bytes, &offered.version, &offered.arch).map_err(|e| refused("package", e))?;
    // Every version ever published for this format and architecture.
    let published: Vec<String> =
        sqlx::query_scalar("SELECT version FROM desk_releases WHERE format = $1 AND arch = $2")
            .bind(format.as_str())
            .bind(&offered.arch)
            .fetch_all(pool)
            .await?;
    if let Some(highest) =
        published.iter().filter(|v| !release::is_newer(v, &offered.version)).max_by_key(|v| release::version(v).ok())
    {
        return Err(refuse(
            "package",
            format!("版本号必须高于已发布过的版本 {highest}（{} {}，撤回的也算）", format.as_str(), offered.arch),
        ));
    }
    // A key id names one key for good: a key must verify the last release ever signed under its
    // id, `--new-key` or not. The id alone proves nothing (a key's maker chooses it): a key made
    // with the desks' key's id was taken, and its release offered to every desk asking by id,
    // first as the last release's key, then as another architecture's first release, then with
    // `--new-key` after a throw-away key's release.
    if signed_last_release(pool, &key, &offered.key_id).await? == Some(false) {
        return Err(refuse(
            "public_key",
            format!(
                "发布公钥的编号 {} 已被此前发布的版本使用，但这把公钥验证不了那一版的签名：不是同一把公钥。\
                 登记台按编号认公钥，会拒绝用它签名的更新",
                offered.key_id
            ),
        ));
    }
    // The same release key as the last release of any format and architecture (the desks trust
    // one key), unless the publisher says the key changed on purpose.
    if let Some(last_key) = last_release_key(pool).await? {
        if last_key != offered.key_id && !with.new_key {
            return Err(refuse(
                "public_key",
                format!(
                    "发布公钥 {} 与上一版所用的 {last_key} 不同：已安装的登记台只信任原来的公钥，会拒绝这个更新。\
                     如确已更换发布密钥（须先为各登记台重新安装带新公钥的安装包），请加 --new-key",
                    offered.key_id
                ),
            ));
        }
    }
    offered.published_at = sqlx::query_scalar(
        "INSERT INTO desk_releases (format, arch, version, notes, signature, sha256, size, package, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING published_at",
    )
    .bind(format.as_str())
    .bind(&offered.arch)
    .bind(&offered.version)
    .bind(&offered.notes)
    .bind(&offered.signature)
    .bind(&offered.sha256)
    .bind(offered.size as i64)
    .bind(&bytes)
    .bind(&offered.key_id)
    .fetch_one(pool)
    .await?;
    tracing::info!(version = %offered.version, format = format.as_str(), arch = %offered.arch, "desk release published");
    let what = serde_json::json!({
        "file": offered.file_name(),
        "sha256": offered.sha256,
        "key_id": offered.key_id,
        "new_key": with.new_key,
    });
    crate::audit::write(pool, actor, "publish_release", what, 1).await?;
    Ok(offered)
}

/// The id of the key the release published last (any format and architecture, withdrawn or
/// not) was signed with.
async fn last_release_key(pool: &PgPool) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT key_id FROM desk_releases ORDER BY published_at DESC LIMIT 1")
        .fetch_optional(pool)
        .await?)
}

/// Whether `key` verifies the package and signature of the release published last under the key
/// id `id` (any format and architecture, withdrawn or not); `None` when none was.
async fn signed_last_release(pool: &PgPool, key: &release::PublicKey, id: &str) -> Result<Option<bool>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_releases WHERE key_id = $1 ORDER BY published_at DESC LIMIT 1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(last) = row.and_then(Row::release) else { return Ok(None) };
    let package: Vec<u8> =
        sqlx::query_scalar("SELECT package FROM desk_releases WHERE format = $1 AND arch = $2 AND version = $3")
            .bind(last.format.as_str())
            .bind(&last.arch)
            .bind(&last.version)
            .fetch_one(pool)
            .await?;
    Ok(Some(release::Verifier::new(key, &last).and_then(|v| v.check(&mut &package[..])).is_ok()))
}

/// Withdraws a published version (every format and architecture of it): desks that have not
/// installed it are offered the newest one left. The release is kept, withdrawn: its version
/// is never published again.
pub async fn withdraw(pool: &PgPool, version: &str, actor: &Actor) -> Result<u64> {
    release::version(version).map_err(|e| refused("version", e))?;
    let n = sqlx::query("UPDATE desk_releases SET withdrawn_at = now() WHERE version = $1 AND withdrawn_at IS NULL")
        .bind(version)
        .execute(pool)
        .await?
        .rows_affected();
    if n == 0 {
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM desk_releases WHERE version = $1")
            .bind(version)
            .fetch_one(pool)
            .await?;
        return Err(if known > 0 {
            refuse("version", format!("版本 {version} 已撤回过"))
        } else {
            CentralError::NotFound("该版本")
        });
    }
    crate::audit::write(pool, actor, "withdraw_release", serde_json::json!({ "version": version }), n as usize).await?;
    Ok(n)
}

#[derive(sqlx::FromRow)]
struct Row {
    format: String,
    arch: String,
    version: String,
    notes: String,
    signature: String,
    sha256: String,
    size: i64,
    published_at: chrono::DateTime<chrono::Utc>,
    key_id: String,
    withdrawn_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Row {
    fn release(self) -> Option<Release> {
        Some(Release {
            format: PackageFormat::parse(&self.format)?,
            arch: self.arch,
            version: self.version,
            notes: self.notes,
            signature: self.signature,
            sha256: self.sha256,
            size: u64::try_from(self.size).ok()?,
            published_at: self.published_at,
            key_id: self.key_id,
        })
    }
}

const COLUMNS: &str = "format, arch, version, notes, signature, sha256, size, published_at, key_id, withdrawn_at";

/// A release as `admin releases` lists it.
pub struct Listed {
    pub release: Release,
    pub withdrawn_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every release ever published, newest first (without the packages), withdrawn ones too.
pub async fn list(pool: &PgPool) -> Result<Vec<Listed>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM desk_releases ORDER BY published_at DESC"))
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let withdrawn_at = r.withdrawn_at;
            Some(Listed { release: r.release()?, withdrawn_at })
        })
        .collect())
}

/// The newest release not withdrawn for a format and architecture, by version (not by date);
/// with `key_id`, only those signed with that key (the one the asking desk trusts).
pub async fn latest(pool: &PgPool, format: PackageFormat, arch: &str, key_id: Option<&str>) -> Result<Option<Release>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_releases
         WHERE format = $1 AND arch = $2 AND withdrawn_at IS NULL AND ($3::text IS NULL OR key_id = $3)"
    ))
    .bind(format.as_str())
    .bind(arch)
    .bind(key_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(Row::release)
        .filter_map(|r| Some((release::version(&r.version).ok()?, r)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r))
}

/// The release (not withdrawn) a file name names.
pub async fn find(pool: &PgPool, file: &str) -> Result<Option<Release>> {
    let Some((format, version, arch)) = release::parse_file_name(file) else { return Ok(None) };
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_releases
         WHERE format = $1 AND arch = $2 AND version = $3 AND withdrawn_at IS NULL"
    ))
    .bind(format.as_str())
    .bind(&arch)
    .bind(&version)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(Row::release))
}

/// `len` bytes of a package from `offset` (0-based).
pub async fn slice(pool: &PgPool, r: &Release, offset: i64, len: i64) -> Result<Vec<u8>> {
    sqlx::query_scalar(
        "SELECT substring(package FROM $4::int FOR $5::int) FROM desk_releases WHERE format = $1 AND arch = $2 AND version = $3",
    )
    .bind(r.format.as_str())
    .bind(&r.arch)
    .bind(&r.version)
    .bind(offset + 1)
    .bind(len)
    .fetch_optional(pool)
    .await?
    .ok_or(CentralError::NotFound("该版本"))
}
