//! The core's one error type. Every variant carries a Chinese message fit for a person; the
//! adapters (desk, server) pass `code()` and `to_string()` on and never the internals.

use serde::Serialize;

/// One field's problem, named in Chinese (e.g. "联系电话：不是有效的手机号或开封固定电话").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// The input field's key, as the UI names it (`manager_phone`).
    pub field: String,
    /// The Chinese reason, starting with the field's Chinese label.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 驳回: input that fails validation, one entry per bad field.
    #[error("{}", .0.first().map(|f| f.message.as_str()).unwrap_or("输入有误"))]
    Invalid(Vec<FieldError>),

    /// 一所一码: an identical venue is already registered.
    #[error("重复登记：该场所已登记为“{existing_name}”（{existing_address}），一所一码，不能重复登记")]
    Duplicate { existing_id: String, existing_name: String, existing_address: String },

    /// Similar venues exist; the user must confirm that this one is different.
    #[error("发现{}个相似场所（同地址、同类型、名称相近），请确认不是重复登记", .0.len())]
    NearDuplicate(Vec<crate::venue::Venue>),

    #[error("未找到该{0}")]
    NotFound(&'static str),

    /// A file the user chose cannot be read as what it claims to be.
    #[error("{0}")]
    BadFile(String),

    #[error("文件读写失败，请检查磁盘空间和权限")]
    Io(#[from] std::io::Error),

    /// The system's print service refused a print or cannot be reached (the reason in Chinese).
    #[error("{0}")]
    Printer(String),

    /// A desk release that must not be installed: its signature does not verify, it names
    /// another file, it is not newer (the reason in Chinese).
    #[error("{0}")]
    Release(String),

    /// A failure of the program itself (a value that would not serialize). The detail stays in
    /// logs; people see a generic message.
    #[error("内部错误，请重试；如仍失败，请联系管理员")]
    Internal(String),
}

impl Error {
    /// The fields an `Invalid` error names, in order (none for other errors).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Error::Invalid(errors) => errors.iter().map(|f| f.field.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// A stable code the UI can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Duplicate { .. } => "duplicate",
            Error::NearDuplicate(_) => "near_duplicate",
            Error::NotFound(_) => "not_found",
            Error::BadFile(_) => "bad_file",
            Error::Io(_) => "io",
            Error::Printer(_) => "printer",
            Error::Release(_) => "release",
            Error::Internal(_) => "internal",
        }
    }

    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks a form field by field and reports every bad field at once: each rule's Chinese
/// reason is prefixed with the field's label, and its key with `prefix` (for one person of
/// several: `dependents.1.`).
#[derive(Debug, Default)]
pub struct FormCheck {
    prefix: String,
    errors: Vec<FieldError>,
}

impl FormCheck {
    pub fn new(prefix: &str) -> Self {
        FormCheck { prefix: prefix.to_owned(), errors: Vec::new() }
    }

    /// The value if the rule passed; otherwise the reason is recorded.
    pub fn field<T>(&mut self, key: &str, label: &str, rule: std::result::Result<T, String>) -> Option<T> {
        match rule {
            Ok(v) => Some(v),
            Err(m) => {
                self.errors
                    .push(FieldError { field: format!("{}{key}", self.prefix), message: format!("{label}：{m}") });
                None
            }
        }
    }

    /// Builds the checked value when every field passed (`build` then has all its parts).
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T> {
        match build() {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(Error::Invalid(self.errors)),
        }
    }
}
