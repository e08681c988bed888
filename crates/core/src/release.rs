//! Desk releases: which package is which, whether one is newer, and whether its signature holds.
//!
//! A release is signed where it is built, with a key the centre never holds (`tauri signer
//! generate` / `tauri signer sign`: minisign, Ed25519 over a BLAKE2b hash of the file). The
//! desk trusts the public key its own package installed, so a centre that is broken into can
//! withhold releases but cannot make a desk install anything the key's holder did not sign.
//! The signature's trusted comment names the file it was made for (`file:placecode-desk_1.2.0_
//! amd64.deb`), and both the centre (when a release is published) and the desk (before it
//! installs) hold that name to the release's version, format and architecture: a signed older
//! package offered as a newer one, or an .rpm offered as a .deb, is refused.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest package a centre accepts and a desk downloads (today's is about 60 MB).
pub const MAX_PACKAGE_BYTES: u64 = 300 * 1024 * 1024;
/// Release notes are a few lines for the administrator.
pub const MAX_NOTES_CHARS: usize = 2000;
/// The package's name, as the bundler names its files.
pub const PACKAGE: &str = "placecode-desk";

/// The kind of package a desk was installed from, and so the kind it updates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PackageFormat {
    Deb,
    Rpm,
}

impl PackageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageFormat::Deb => "deb",
            PackageFormat::Rpm => "rpm",
        }
    }

    pub fn parse(s: &str) -> Option<PackageFormat> {
        match s {
            "deb" => Some(PackageFormat::Deb),
            "rpm" => Some(PackageFormat::Rpm),
            _ => None,
        }
    }

    /// This machine's architecture as this format spells it (`amd64` for a .deb, `x86_64` for
    /// an .rpm).
    pub fn this_arch(self) -> &'static str {
        match (self, std::env::consts::ARCH) {
            (PackageFormat::Deb, "x86_64") => "amd64",
            (PackageFormat::Deb, "aarch64") => "arm64",
            (_, arch) => arch,
        }
    }
}

/// A published release as the centre describes it to a desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Release {
    pub version: String,
    pub format: PackageFormat,
    pub arch: String,
    /// 更新说明, as the publisher wrote it.
    pub notes: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub published_at: chrono::DateTime<chrono::Utc>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Hex SHA-256 of the package: a broken download is told from a forged one.
    pub sha256: String,
    /// The `.sig` file's text as `tauri signer sign` wrote it.
    pub signature: String,
    /// The id of the key that signed it (as minisign prints it: `D85A50167ECABD62`).
    pub key_id: String,
}

impl Release {
    /// The file name this release's signature must name.
    pub fn file_name(&self) -> String {
        file_name(self.format, &self.version, &self.arch)
    }
}

/// The file name the bundler gives a package: `placecode-desk_1.2.0_amd64.deb`,
/// `placecode-desk-1.2.0-1.x86_64.rpm`.
pub fn file_name(format: PackageFormat, version: &str, arch: &str) -> String {
    match format {
        PackageFormat::Deb => format!("{PACKAGE}_{version}_{arch}.deb"),
        PackageFormat::Rpm => format!("{PACKAGE}-{version}-1.{arch}.rpm"),
    }
}

/// What a package's file name says: its format, version and architecture. A name the bundler
/// would not have given (another package, a version that is not semver, a path) is `None`.
pub fn parse_file_name(name: &str) -> Option<(PackageFormat, String, String)> {
    let (format, v, arch) = file_name_parts(name)?;
    let arch_ok = !arch.is_empty() && arch.len() <= 16 && arch.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (arch_ok && version(v).is_ok()).then(|| (format, v.to_owned(), arch.to_owned()))
}

/// Why a package's file name is not one [`parse_file_name`] takes: its version's fault when the
/// name has the bundler's shape (`0.2`, `0.1.4-rc.1` named as the packager named them), else the
/// name's.
pub fn file_name_refusal(name: &str) -> Error {
    match file_name_parts(name).map(|(_, v, _)| (v, version(v))) {
        Some((v, Err(e))) => Error::invalid("package", format!("{e}（文件名中的版本是 {v}；改版本号须重新打包）")),
        _ => Error::invalid(
            "package",
            format!(
                "安装包的文件名应保持打包时的名字（如 {}），以便与签名核对",
                file_name(PackageFormat::Deb, "1.2.0", "amd64")
            ),
        ),
    }
}

/// A file name of the bundler's shape cut into its format, version and architecture, unchecked.
fn file_name_parts(name: &str) -> Option<(PackageFormat, &str, &str)> {
    if let Some(rest) = name.strip_suffix(".deb") {
        let rest = rest.strip_prefix(&format!("{PACKAGE}_"))?;
        let (version, arch) = rest.rsplit_once('_')?;
        Some((PackageFormat::Deb, version, arch))
    } else if let Some(rest) = name.strip_suffix(".rpm") {
        let rest = rest.strip_prefix(&format!("{PACKAGE}-"))?;
        let (rest, arch) = rest.rsplit_once('.')?;
        Some((PackageFormat::Rpm, rest.strip_suffix("-1")?, arch))
    } else {
        None
    }
}

/// A release's version: three numbers (`1.2.0`), at most 32 characters. No suffix (`-rc.1`,
/// `+build`): the desk and the centre would order `1.3.0-rc.1` before `1.3.0` as semver does,
/// but the system's package manager after it, so a desk that installed the candidate would be
/// offered the release for ever and refused it as a downgrade.
pub fn version(v: &str) -> Result<semver::Version> {
    if v.len() > 32 {
        return Err(Error::invalid("version", "版本号：过长"));
    }
    let parsed = semver::Version::parse(v).map_err(|_| Error::invalid("version", "版本号：格式不对（应如 1.2.0）"))?;
    if !parsed.pre.is_empty() || !parsed.build.is_empty() {
        return Err(Error::invalid("version", "版本号：只能是三段数字（如 1.2.0），不带 -rc 等后缀"));
    }
    Ok(parsed)
}

/// Whether `offered` is newer than `current` (a version that does not parse is never newer).
pub fn is_newer(current: &str, offered: &str) -> bool {
    matches!((version(current), version(offered)), (Ok(c), Ok(o)) if o > c)
}

/// The release notes as stored: trimmed, at most [`MAX_NOTES_CHARS`], no control characters but
/// line breaks.
pub fn notes(text: &str) -> Result<String> {
    let text = text.trim().replace("\r\n", "\n");
    if text.chars().count() > MAX_NOTES_CHARS {
        return Err(Error::invalid("notes", format!("更新说明：不能超过{MAX_NOTES_CHARS}字")));
    }
    // Control characters, and the marks that turn text around (U+202A..U+202E, U+2066..U+2069).
    let turning = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if text.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || turning(c)) {
        return Err(Error::invalid("notes", "更新说明：含有控制字符"));
    }
    // A key or signature file named by mistake for the notes (`--notes-file release.key`) would be
    // shown to every desk's administrators, for good: the private key with it.
    if text.contains("untrusted comment:") || minisign_text(&text).is_some_and(|t| t.contains("untrusted comment:")) {
        return Err(Error::invalid(
            "notes",
            "更新说明：这是密钥或签名文件的内容，不是说明文字；请检查 --notes / --notes-file（密钥文件不要外传）",
        ));
    }
    Ok(text)
}

/// How far into a package its name and version are looked for: both formats put them first.
pub const FIELDS_WITHIN: usize = 1 << 20;

/// The package's own name and version, read from its first bytes (at least [`FIELDS_WITHIN`]
/// of them, or the whole file): a .deb's `control` file (in `control.tar.gz`, as Tauri's bundler
/// writes it), an .rpm's main header. `None` when the bytes are not such a package.
pub fn package_fields(format: PackageFormat, bytes: &[u8]) -> Option<Fields> {
    match format {
        PackageFormat::Deb => deb_fields(bytes),
        PackageFormat::Rpm => rpm_fields(bytes),
    }
}

/// What a package's own control data says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub package: String,
    pub version: String,
    /// As the file name spells it (`amd64` in a .deb, `x86_64` in an .rpm).
    pub arch: String,
}

/// The rule the centre (at publication) and the desk (before installing) hold a package to:
/// its own control data names this program, `version` and `arch` (as its file name does). A
/// file renamed instead of rebuilt would otherwise be installed and then offered again, for
/// ever, or offered to desks of another architecture.
pub fn check_package(format: PackageFormat, head: &[u8], version: &str, arch: &str) -> Result<()> {
    match package_fields(format, head) {
        Some(f) if f.package == PACKAGE && f.version == version && f.arch == arch => Ok(()),
        Some(f) if f.package == PACKAGE && f.version == version => Err(refused(&format!(
            "安装包内的架构是 {}，与文件名的 {arch} 不符：请保留打包时的文件名，不要改名",
            f.arch
        ))),
        Some(f) if f.package == PACKAGE => Err(refused(&format!(
            "安装包内的版本是 {}，与文件名的 {version} 不符：请保留打包时的文件名（发布新版本要改版本号后重新打包）",
            f.version
        ))),
        Some(f) => Err(refused(&format!("这不是登记台的安装包：包内的包名是 {}，应为 {PACKAGE}", f.package))),
        None => match deb_control_member(head) {
            Some(name) if format == PackageFormat::Deb && name != "control.tar.gz" => Err(refused(&format!(
                "安装包的控制信息是 {name}，只收打包工具（make bundle）生成的 control.tar.gz 格式：请用 make bundle 重新打包"
            ))),
            _ => Err(refused(&format!("这不是登记台的 {} 安装包（读不出其中的包名和版本）", format.as_str()))),
        },
    }
}

/// [`check_package`] on a file (its first [`FIELDS_WITHIN`] bytes).
pub fn check_package_file(format: PackageFormat, path: &std::path::Path, version: &str, arch: &str) -> Result<()> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)?.take(FIELDS_WITHIN as u64).read_to_end(&mut head)?;
    check_package(format, &head, version, arch)
}

/// The members of an ar archive (`!<arch>`): 60-byte headers, the size in decimal at 48..58.
fn ar_members(bytes: &[u8]) -> impl Iterator<Item = (&str, &[u8])> {
    let mut at = if bytes.starts_with(b"!<arch>\n") { b"!<arch>\n".len() } else { bytes.len() };
    std::iter::from_fn(move || {
        let header = bytes.get(at..at + 60)?;
        let name = std::str::from_utf8(&header[..16]).ok()?.trim_end().trim_end_matches('/');
        let size: usize = std::str::from_utf8(&header[48..58]).ok()?.trim().parse().ok()?;
        let data = bytes.get(at + 60..at + 60 + size)?;
        at += 60 + size + size % 2;
        Some((name, data))
    })
}

/// The name of a .deb's control archive (`control.tar.gz`, `.xz`, `.zst`).
fn deb_control_member(bytes: &[u8]) -> Option<&str> {
    ar_members(bytes).map(|(name, _)| name).find(|name| name.starts_with("control.tar"))
}

fn deb_fields(bytes: &[u8]) -> Option<Fields> {
    use std::io::Read;
    let (_, data) = ar_members(bytes).find(|(name, _)| *name == "control.tar.gz")?;
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(data).take(FIELDS_WITHIN as u64).read_to_end(&mut tar).ok()?;
    let control = tar_member(&tar, "control")?;
    // A field named once, in any case (dpkg's field names are), never on a continuation line: a
    // trial's control file said `Version: 0.1.6` and then `Version: 9.9.9` (dpkg calls it
    // corrupt) and was published.
    let field = |key: &str| {
        let mut values = control.lines().filter(|l| !l.starts_with([' ', '\t'])).filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim().eq_ignore_ascii_case(key).then(|| value.trim().to_owned())
        });
        let first = values.next()?;
        values.next().is_none().then_some(first)
    };
    Some(Fields { package: field("Package")?, version: field("Version")?, arch: field("Architecture")? })
}

/// A file of a tar archive (`./name` or `name`), as text: the only one of that name, in an
/// archive read as dpkg reads it or refused. A trial's archive held `control` and then
/// `./control` with another version: read here as the first, by dpkg as the other.
fn tar_member(tar: &[u8], wanted: &str) -> Option<String> {
    let mut at = 0;
    let mut found = None;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        let end = header[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&header[..end]).ok()?;
        if name.is_empty() {
            break;
        }
        let size_text = std::str::from_utf8(&header[124..136]).ok()?.trim_matches(|c: char| c == '\0' || c == ' ');
        let size = usize::from_str_radix(size_text, 8).ok()?;
        // Long names, extended headers and a POSIX name prefix name a member otherwise than
        // the 100 bytes read here: none is in a package the bundler makes.
        let posix = &header[257..263] == b"ustar\0";
        if matches!(header[156], b'L' | b'K' | b'x' | b'g') || (posix && header[345..500].iter().any(|&b| b != 0)) {
            return None;
        }
        if name.trim_start_matches("./") == wanted {
            if found.is_some() {
                return None;
            }
            found = Some(String::from_utf8(tar.get(at + 512..at + 512 + size)?.to_vec()).ok()?);
        }
        at += 512 + size.div_ceil(512) * 512;
    }
    found
}

/// RPM: a 96-byte lead, the signature header (padded to 8 bytes), then the main header, whose
/// NAME (1000) and VERSION (1001) are strings in its store.
fn rpm_fields(bytes: &[u8]) -> Option<Fields> {
    if !bytes.starts_with(&[0xED, 0xAB, 0xEE, 0xDB]) {
        return None;
    }
    let header_at = |at: usize| -> Option<(usize, usize, usize)> {
        let h = bytes.get(at..at + 16)?;
        if h[..4] != [0x8E, 0xAD, 0xE8, 0x01] {
            return None;
        }
        let count = u32::from_be_bytes(h[8..12].try_into().ok()?) as usize;
        let store = u32::from_be_bytes(h[12..16].try_into().ok()?) as usize;
        Some((count, store, at + 16 + count.checked_mul(16)? + store))
    };
    let (_, _, sig_end) = header_at(96)?;
    let main = sig_end.div_ceil(8) * 8;
    let (count, _, _) = header_at(main)?;
    let store_at = main + 16 + count * 16;
    let string = |tag: u32| -> Option<String> {
        (0..count).find_map(|i| {
            let e = bytes.get(main + 16 + i * 16..main + 32 + i * 16)?;
            let word = |k: usize| u32::from_be_bytes([e[k], e[k + 1], e[k + 2], e[k + 3]]);
            if word(0) != tag || word(4) != 6 {
                return None;
            }
            let start = store_at + word(8) as usize;
            let text = bytes.get(start..)?;
            let end = text.iter().position(|&b| b == 0)?;
            String::from_utf8(text[..end].to_vec()).ok()
        })
    };
    Some(Fields { package: string(1000)?, version: string(1001)?, arch: string(1022)? })
}

fn refused(message: &str) -> Error {
    Error::Release(message.to_owned())
}

/// A key or signature as `tauri signer` writes it (the minisign text, base64-encoded), or the
/// minisign text itself.
fn minisign_text(s: &str) -> Option<String> {
    use base64::Engine;
    let s = s.trim();
    if s.starts_with("untrusted comment:") {
        return Some(s.to_owned());
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    String::from_utf8(bytes).ok()
}

/// The id minisign gives the key of a public key file or of a signature (the same 8 bytes sit
/// after the algorithm in both), as it prints it: 16 upper-case hex digits.
pub fn key_id(text: &str) -> Option<String> {
    use base64::Engine;
    let text = minisign_text(text)?;
    let line = text.lines().nth(1)?.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(line).ok()?;
    let id: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
    Some(format!("{:016X}", u64::from_le_bytes(id)))
}

/// A release key's public half, as [`public_key`] reads it.
pub type PublicKey = minisign_verify::PublicKey;

/// The public key a desk trusts, from its file's text.
pub fn public_key(text: &str) -> Result<minisign_verify::PublicKey> {
    minisign_text(text)
        .and_then(|t| minisign_verify::PublicKey::decode(&t).ok())
        .ok_or_else(|| refused("发布公钥的格式不对（应为 tauri signer generate 生成的 .pub 文件）"))
}

/// Checks a package's signature as its bytes go by, so a 60 MB package is never held whole.
pub struct Verifier {
    key: minisign_verify::PublicKey,
    signature: minisign_verify::Signature,
    expected_file: String,
}

impl Verifier {
    /// Ready to check the package of `release` against `key`: the signature must parse and
    /// name the release's own file.
    pub fn new(key: &minisign_verify::PublicKey, release: &Release) -> Result<Verifier> {
        let signature = minisign_text(&release.signature)
            .and_then(|t| minisign_verify::Signature::decode(&t).ok())
            .ok_or_else(|| refused("更新包的签名格式不对"))?;
        let expected_file = release.file_name();
        // The file's name is always there; `version:` only where the signer was told it
        // (`tauri signer sign --app-version`, which `tauri build` does by itself).
        let said = |key: &str| signature.trusted_comment().split('\t').find_map(|part| part.strip_prefix(key));
        let version_ok = said("version:").is_none_or(|v| v == release.version);
        if said("file:") != Some(expected_file.as_str()) || !version_ok {
            return Err(refused("更新包的签名不是为这个版本做的（签名中的文件名与版本不符）"));
        }
        Ok(Verifier { key: key.clone(), signature, expected_file })
    }

    /// Checks the whole package, read from `package`.
    pub fn check(&self, package: &mut impl std::io::Read) -> Result<()> {
        let mut stream = self
            .key
            .verify_stream(&self.signature)
            .map_err(|_| refused("更新包的签名与本机的发布公钥不符，已拒绝；请联系IT人员"))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = package.read(&mut buf)?;
            if n == 0 {
                break;
            }
            stream.update(&buf[..n]);
        }
        stream.finalize().map_err(|_| {
            refused("更新包的签名验证失败：文件被改动过，或不是用本系统的发布密钥签名的，已拒绝；请联系IT人员")
        })
    }

    pub fn file_name(&self) -> &str {
        &self.expected_file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_strangers_are_refused() {
        for (f, arch) in [(PackageFormat::Deb, "amd64"), (PackageFormat::Rpm, "x86_64")] {
            let name = file_name(f, "1.2.10", arch);
            assert_eq!(parse_file_name(&name), Some((f, "1.2.10".to_owned(), arch.to_owned())));
        }
        assert_eq!(file_name(PackageFormat::Deb, "0.1.1", "amd64"), "placecode-desk_0.1.1_amd64.deb");
        assert_eq!(file_name(PackageFormat::Rpm, "0.1.1", "x86_64"), "placecode-desk-0.1.1-1.x86_64.rpm");
        for bad in [
            "placecode-desk_0.1.1_amd64.tar.gz",
            "other_0.1.1_amd64.deb",
            "placecode-desk_../../x_amd64.deb",
            "placecode-desk_0.1_amd64.deb",
            "placecode-desk_0.1.1_.deb",
            "placecode-desk_0.1.1_am/d64.deb",
            "placecode-desk-0.1.1.x86_64.rpm",
            "placecode-desk_０.1.1_amd64.deb",
            "placecode-desk_0.1.1_amd64.deb'; DROP TABLE x;--",
            // Suffixes the package manager orders otherwise than the desk would.
            "placecode-desk_1.2.0-rc.1_amd64.deb",
            "placecode-desk_0.1.10-1_amd64.deb",
            "placecode-desk-1.2.0+b1-1.x86_64.rpm",
            "",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
        // The packager's own name with a version of another shape: the version is blamed, and
        // named (a trial's 0.1.4-rc.1, 0.2 and 00.1.9 were each told to keep the file's name).
        for (name, v) in [
            ("placecode-desk_0.1.4-rc.1_amd64.deb", "0.1.4-rc.1"),
            ("placecode-desk_0.2_amd64.deb", "0.2"),
            ("placecode-desk_00.1.9_amd64.deb", "00.1.9"),
            ("placecode-desk-1.2.0+b1-1.x86_64.rpm", "1.2.0+b1"),
        ] {
            let e = file_name_refusal(name);
            assert_eq!((e.code(), e.fields()), ("invalid", vec!["package"]), "{name}");
            assert!(
                e.to_string().starts_with("版本号：") && e.to_string().contains(&format!("文件名中的版本是 {v}")),
                "{e}"
            );
        }
        for name in ["desk-latest.deb", "other_0.1.1_amd64.deb", ""] {
            assert!(file_name_refusal(name).to_string().contains("文件名应保持打包时的名字"), "{name}");
        }
    }

    #[test]
    fn newer_is_semver_and_nonsense_is_never_newer() {
        assert!(is_newer("0.1.0", "0.1.1"));
        assert!(is_newer("0.9.0", "0.10.0"));
        // Never a candidate before or after a release: no suffix is a version.
        assert!(!is_newer("1.0.0-rc.1", "1.0.0"));
        assert!(!is_newer("1.0.0", "1.0.1-rc.1"));
        for suffixed in ["1.0.0-rc.1", "1.0.0+b1", "0.1.10-1"] {
            let e = version(suffixed).unwrap_err();
            assert_eq!((e.code(), e.fields()), ("invalid", vec!["version"]), "{suffixed}");
            assert!(e.to_string().contains("三段数字"), "{e}");
        }
        assert!(!is_newer("0.1.1", "0.1.1"));
        assert!(!is_newer("0.1.1", "0.1.0"));
        assert!(!is_newer("0.1.0", "9.9"));
        assert!(!is_newer("0.1.0", &"9".repeat(40)));
        let e = version("１.0.0").unwrap_err();
        assert_eq!((e.code(), e.fields()), ("invalid", vec!["version"]));
    }

    #[test]
    fn notes_are_bounded_and_plain() {
        assert_eq!(notes("  修复：打印\r\n新增：更新 🚚 𠀀 <b>&  ").unwrap(), "修复：打印\n新增：更新 🚚 𠀀 <b>&");
        let e = notes(&"字".repeat(MAX_NOTES_CHARS + 1)).unwrap_err();
        assert_eq!((e.code(), e.fields()), ("invalid", vec!["notes"]));
        let e = notes("a\u{1b}[31m").unwrap_err();
        assert_eq!(e.fields(), vec!["notes"]);
        assert!(notes("修复\u{202E}txt.exe").is_err());
        // A key or signature file given for the notes (a trial published the private key so).
        use base64::Engine;
        let secret = base64::engine::general_purpose::STANDARD
            .encode("untrusted comment: rsign encrypted secret key\nRWRTY0IyAAAAAAAAAAAAAAAAAAAAAAAA\n");
        for file in [secret.as_str(), PUBLIC, SIG_011, "untrusted comment: minisign public key\nRWQ"] {
            let e = notes(file).unwrap_err();
            assert_eq!((e.code(), e.fields()), ("invalid", vec!["notes"]));
            assert!(e.to_string().contains("密钥或签名文件"), "{e}");
        }
        // Plain notes that happen to be valid base64 are notes.
        assert_eq!(notes("abcd").unwrap(), "abcd");
    }

    // A key pair and signatures made with `tauri signer` (0 password) over the bytes
    // b"placecode test package\n", kept here so the check is tested against the real format.
    const PUBLIC: &str = include_str!("../tests/release/test-key.pub");
    const SIG_011: &str = include_str!("../tests/release/placecode-desk_0.1.1_amd64.deb.sig");
    const PACKAGE_BYTES: &[u8] = b"placecode test package\n";

    fn release(version: &str, signature: &str) -> Release {
        Release {
            version: version.into(),
            format: PackageFormat::Deb,
            arch: "amd64".into(),
            notes: String::new(),
            published_at: chrono::Utc::now(),
            size: PACKAGE_BYTES.len() as u64,
            sha256: String::new(),
            signature: signature.into(),
            key_id: String::new(),
        }
    }

    #[test]
    fn a_signed_package_verifies_and_a_changed_byte_does_not() {
        let key = public_key(PUBLIC).unwrap();
        let v = Verifier::new(&key, &release("0.1.1", SIG_011)).unwrap();
        v.check(&mut &PACKAGE_BYTES[..]).unwrap();
        let mut tampered = PACKAGE_BYTES.to_vec();
        tampered[3] ^= 1;
        let e = v.check(&mut &tampered[..]).unwrap_err();
        assert_eq!(e.code(), "release");
        assert!(e.to_string().contains("签名验证失败"), "{e}");
    }

    #[test]
    fn a_signature_for_another_version_or_format_is_refused_before_reading() {
        let key = public_key(PUBLIC).unwrap();
        for r in [release("0.1.2", SIG_011), Release { format: PackageFormat::Rpm, ..release("0.1.1", SIG_011) }] {
            let e = Verifier::new(&key, &r).err().unwrap();
            assert!(e.to_string().contains("文件名与版本不符"), "{e}");
        }
        let e = Verifier::new(&key, &release("0.1.1", "not a signature")).err().unwrap();
        assert_eq!(e.code(), "release");
    }

    #[test]
    fn a_package_says_its_own_name_and_version() {
        let deb = include_bytes!("../tests/release/tiny_0.2.0_amd64.deb");
        let fields = |p: &str, v: &str, a: &str| Some(Fields { package: p.into(), version: v.into(), arch: a.into() });
        assert_eq!(package_fields(PackageFormat::Deb, deb), fields("placecode-desk", "0.2.0", "amd64"));
        let rpm = include_bytes!("../tests/release/tiny-0.2.0-1.x86_64.rpm");
        assert_eq!(package_fields(PackageFormat::Rpm, rpm), fields("placecode-desk", "0.2.0", "x86_64"));
        // The other format, random bytes, a cut-off package: nothing.
        assert_eq!(package_fields(PackageFormat::Rpm, deb), None);
        assert_eq!(package_fields(PackageFormat::Deb, rpm), None);
        assert_eq!(package_fields(PackageFormat::Deb, b"!<arch>\nrandom bytes"), None);
        assert_eq!(package_fields(PackageFormat::Deb, &deb[..100]), None);
        assert_eq!(package_fields(PackageFormat::Rpm, &rpm[..200]), None);
        let noise: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert_eq!(package_fields(PackageFormat::Deb, &noise), None);
        assert!(check_package(PackageFormat::Deb, deb, "0.2.0", "amd64").is_ok());
        assert!(check_package(PackageFormat::Rpm, rpm, "0.2.0", "x86_64").is_ok());
        let e = check_package(PackageFormat::Deb, deb, "0.2.1", "amd64").unwrap_err();
        assert!(e.to_string().contains("安装包内的版本是 0.2.0，与文件名的 0.2.1 不符"), "{e}");
        let e = check_package(PackageFormat::Deb, &noise, "0.2.0", "amd64").unwrap_err();
        assert_eq!(e.code(), "release");
    }

    #[test]
    fn a_package_renamed_to_another_architecture_is_refused() {
        // A trial published an amd64 package as `_i386`, and `_AMD64` was a slot of its own.
        let deb = include_bytes!("../tests/release/tiny_0.2.0_amd64.deb");
        for arch in ["i386", "AMD64", "arm64", ""] {
            let e = check_package(PackageFormat::Deb, deb, "0.2.0", arch).unwrap_err();
            assert_eq!(e.code(), "release");
            assert!(e.to_string().contains("安装包内的架构是 amd64"), "{arch}: {e}");
        }
        let rpm = include_bytes!("../tests/release/tiny-0.2.0-1.x86_64.rpm");
        let e = check_package(PackageFormat::Rpm, rpm, "0.2.0", "amd64").unwrap_err();
        assert!(e.to_string().contains("架构是 x86_64"), "{e}");
    }

    /// A .deb whose control archive holds `members` (name, text), in that order.
    fn deb_with(members: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut tar = Vec::new();
        for (name, text) in members {
            let mut header = [0u8; 512];
            header[..name.len()].copy_from_slice(name.as_bytes());
            header[100..107].copy_from_slice(b"0000644");
            header[124..135].copy_from_slice(format!("{:011o}", text.len()).as_bytes());
            header[156] = b'0';
            header[257..265].copy_from_slice(b"ustar  \0");
            tar.extend_from_slice(&header);
            tar.extend_from_slice(text.as_bytes());
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.resize(tar.len() + 1024, 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let control = gz.finish().unwrap();
        let mut deb = b"!<arch>\n".to_vec();
        for (name, data) in [("debian-binary", &b"2.0\n"[..]), ("control.tar.gz", &control[..])] {
            deb.extend_from_slice(
                format!("{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", 0, 0, 0, 100644, data.len()).as_bytes(),
            );
            deb.extend_from_slice(data);
            if data.len() % 2 == 1 {
                deb.push(b'\n');
            }
        }
        deb
    }

    #[test]
    fn a_control_file_read_otherwise_by_dpkg_is_refused() {
        let good = "Package: placecode-desk\nVersion: 0.1.6\nArchitecture: amd64\nDescription: desk\n Version: in a description\n";
        assert!(check_package(PackageFormat::Deb, &deb_with(&[("./control", good)]), "0.1.6", "amd64").is_ok());
        // Field names in another case are the same field to dpkg.
        let lower = "package: placecode-desk\nversion: 0.1.6\narchitecture: amd64\n";
        assert!(check_package(PackageFormat::Deb, &deb_with(&[("control", lower)]), "0.1.6", "amd64").is_ok());
        // Another program's package is said to be one, not a version to rebuild.
        let other = "Package: placecode-desk-beta\nVersion: 0.1.6\nArchitecture: amd64\n";
        let e = check_package(PackageFormat::Deb, &deb_with(&[("control", other)]), "0.1.6", "amd64").unwrap_err();
        assert!(e.to_string().contains("包名是 placecode-desk-beta，应为 placecode-desk"), "{e}");
        // A trial's: a field twice (dpkg: corrupt), in either case; two members named control
        // (read here as the first, by dpkg as the other).
        let twice = "Package: placecode-desk\nVersion: 0.1.6\nVersion: 9.9.9\nArchitecture: amd64\n";
        let twice_lower = "Package: placecode-desk\nVersion: 0.1.6\nversion: 9.9.9\nArchitecture: amd64\n";
        let later = "Package: placecode-desk\nVersion: 0.1.8\nArchitecture: amd64\n";
        for deb in [
            deb_with(&[("./control", twice)]),
            deb_with(&[("./control", twice_lower)]),
            deb_with(&[("control", good), ("./control", later)]),
        ] {
            let e = check_package(PackageFormat::Deb, &deb, "0.1.6", "amd64").unwrap_err();
            assert!(e.to_string().contains("读不出其中的包名和版本"), "{e}");
        }
    }

    #[test]
    fn a_deb_whose_control_archive_is_not_gzip_is_named_as_such() {
        // The same package with its control archive renamed as dpkg-deb -Zxz would name it: the
        // refusal says what it is and how to make one that is taken, not "not a package".
        let deb = include_bytes!("../tests/release/tiny_0.2.0_amd64.deb").to_vec();
        let at = deb.windows(14).position(|w| w == b"control.tar.gz").unwrap();
        let mut xz = deb.clone();
        xz[at..at + 14].copy_from_slice(b"control.tar.xz");
        let e = check_package(PackageFormat::Deb, &xz, "0.2.0", "amd64").unwrap_err();
        assert!(e.to_string().contains("control.tar.xz") && e.to_string().contains("make bundle"), "{e}");
    }

    #[test]
    fn keys_and_signatures_are_named_by_their_key_id() {
        // As the public key's own comment names it.
        assert_eq!(key_id(PUBLIC).as_deref(), Some("D85A50167ECABD62"));
        assert_eq!(key_id(SIG_011), key_id(PUBLIC));
        assert_ne!(key_id(include_str!("../tests/release/other-key.pub")), key_id(PUBLIC));
        assert_eq!(key_id("not a key"), None);
        assert_eq!(key_id(""), None);
    }

    #[test]
    fn another_key_is_refused() {
        let other = include_str!("../tests/release/other-key.pub");
        let key = public_key(other).unwrap();
        let v = Verifier::new(&key, &release("0.1.1", SIG_011)).unwrap();
        let e = v.check(&mut &PACKAGE_BYTES[..]).unwrap_err();
        assert_eq!(e.code(), "release");
        assert!(public_key("RWQ garbage").is_err());
        assert!(public_key("").is_err());
    }
}
