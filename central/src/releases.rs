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

fn refused(e: placecode_core::Error) -> CentralError {
    match e {
        placecode_core::Error::Invalid(mut fields) if !fields.is_empty() => CentralError::invalid(fields.remove(0)),
        other => CentralError::BadRequest(other.to_string()),
    }
}

/// Reads a file the administrator named, at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let unreadable = || CentralError::BadRequest(format!("无法读取{what}：{}", path.display()));
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(unreadable());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(|_| unreadable())?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| unreadable())?;
    if bytes.len() as u64 > limit {
        return Err(CentralError::BadRequest(format!("{what}过大")));
    }
    Ok(bytes)
}

/// Publishes `package` (named as the bundler names it) with its signature (`<package>.sig`
/// unless named), after checking it with the release key in `public_key`. A version must be
/// newer than every one published for its format and architecture.
pub async fn publish(
    pool: &PgPool,
    package: &Path,
    signature: Option<&Path>,
    public_key: &Path,
    notes: &str,
    actor: &Actor,
) -> Result<Release> {
    let name = package.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (format, version, arch) = release::parse_file_name(name).ok_or_else(|| {
        CentralError::BadRequest(format!(
            "安装包的文件名应保持打包时的名字（如 {}），以便与签名核对",
            release::file_name(PackageFormat::Deb, "1.2.0", "amd64")
        ))
    })?;
    let notes = release::notes(notes).map_err(refused)?;
    let sig_path = signature.map(Path::to_path_buf).unwrap_or_else(|| package.with_file_name(format!("{name}.sig")));
    let signature = String::from_utf8(read_bounded(&sig_path, 4096, "签名文件")?)
        .map_err(|_| CentralError::BadRequest("签名文件格式不对".into()))?;
    let key_text = String::from_utf8(read_bounded(public_key, 4096, "发布公钥文件")?)
        .map_err(|_| CentralError::BadRequest("发布公钥文件格式不对".into()))?;
    let key = release::public_key(&key_text).map_err(refused)?;
    let bytes = read_bounded(package, release::MAX_PACKAGE_BYTES, "安装包")?;
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
        signature: signature.trim().to_owned(),
    };
    release::Verifier::new(&key, &offered).and_then(|v| v.check(&mut &bytes[..])).map_err(refused)?;
    if let Some(newest) = latest(pool, format, &offered.arch).await? {
        if !release::is_newer(&newest.version, &offered.version) {
            return Err(CentralError::BadRequest(format!(
                "版本号必须高于已发布的最新版本 {}（{} {}）",
                newest.version,
                format.as_str(),
                newest.arch
            )));
        }
    }
    offered.published_at = sqlx::query_scalar(
        "INSERT INTO desk_releases (format, arch, version, notes, signature, sha256, size, package)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING published_at",
    )
    .bind(format.as_str())
    .bind(&offered.arch)
    .bind(&offered.version)
    .bind(&offered.notes)
    .bind(&offered.signature)
    .bind(&offered.sha256)
    .bind(offered.size as i64)
    .bind(&bytes)
    .fetch_one(pool)
    .await?;
    tracing::info!(version = %offered.version, format = format.as_str(), arch = %offered.arch, "desk release published");
    let what = serde_json::json!({ "file": offered.file_name(), "sha256": offered.sha256 });
    crate::audit::write(pool, actor, "publish_release", what, 1).await?;
    Ok(offered)
}

/// Withdraws a published version (every format and architecture of it): desks that have not
/// installed it are offered the newest one left.
pub async fn withdraw(pool: &PgPool, version: &str, actor: &Actor) -> Result<u64> {
    release::version(version).map_err(refused)?;
    let n =
        sqlx::query("DELETE FROM desk_releases WHERE version = $1").bind(version).execute(pool).await?.rows_affected();
    if n == 0 {
        return Err(CentralError::NotFound("该版本"));
    }
    crate::audit::write(pool, actor, "withdraw_release", serde_json::json!({ "version": version }), n as usize).await?;
    Ok(n)
}

type Row = (String, String, String, String, String, String, i64, chrono::DateTime<chrono::Utc>);

fn from_row((format, arch, version, notes, signature, sha256, size, published_at): Row) -> Option<Release> {
    Some(Release {
        format: PackageFormat::parse(&format)?,
        arch,
        version,
        notes,
        signature,
        sha256,
        size: u64::try_from(size).ok()?,
        published_at,
    })
}

const COLUMNS: &str = "format, arch, version, notes, signature, sha256, size, published_at";

/// Every published release, newest first (without the packages).
pub async fn list(pool: &PgPool) -> Result<Vec<Release>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM desk_releases ORDER BY published_at DESC"))
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

/// The newest release for a format and architecture, by version (not by date).
pub async fn latest(pool: &PgPool, format: PackageFormat, arch: &str) -> Result<Option<Release>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM desk_releases WHERE format = $1 AND arch = $2"))
            .bind(format.as_str())
            .bind(arch)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(from_row)
        .filter_map(|r| Some((release::version(&r.version).ok()?, r)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r))
}

/// The release a file name names, if published.
pub async fn find(pool: &PgPool, file: &str) -> Result<Option<Release>> {
    let Some((format, version, arch)) = release::parse_file_name(file) else { return Ok(None) };
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desk_releases WHERE format = $1 AND arch = $2 AND version = $3"
    ))
    .bind(format.as_str())
    .bind(&arch)
    .bind(&version)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(from_row))
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
