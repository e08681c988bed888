//! The store's one error type: a rule's refusal (the core's [`placecode_core::Error`], with its
//! Chinese reason and fields) or a failure of the database. The adapters pass `code()` and
//! `to_string()` on and never the internals.

use placecode_core::Error as Rule;
use placecode_core::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule refused the input, something was not found, a file or value was not what it should
    /// be: the core's error, passed on as it is.
    #[error(transparent)]
    Rule(#[from] Rule),

    /// The database failed. The detail stays in logs; people see a generic message.
    #[error("数据库错误，请重试；如仍失败，请联系管理员")]
    Storage(#[from] rusqlite::Error),

    /// Nobody may do this now: signed out, not the administrator, a PIN to change first.
    #[error(transparent)]
    Denied(#[from] crate::session::Denied),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Rule(Rule::Io(e))
    }
}

impl Error {
    /// A stable code the UI can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rule(e) => e.code(),
            Error::Storage(_) => "storage",
            Error::Denied(d) => d.code(),
        }
    }

    /// The fields an `invalid` error names, in order (none for other errors).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Error::Rule(e) => e.fields(),
            Error::Storage(_) | Error::Denied(_) => Vec::new(),
        }
    }

    /// The rule's error, if this is one.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            Error::Rule(e) => Some(e),
            Error::Storage(_) | Error::Denied(_) => None,
        }
    }

    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Rule::invalid(field, message).into()
    }

    /// A validation error naming each bad field.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Rule::Invalid(errors).into()
    }

    pub fn not_found(what: &'static str) -> Self {
        Rule::NotFound(what).into()
    }

    pub fn bad_file(message: impl Into<String>) -> Self {
        Rule::BadFile(message.into()).into()
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Rule::Internal(detail.into()).into()
    }
}
