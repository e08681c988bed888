//! The server's one error type. Every answer is `{code, message}` with a Chinese message; the
//! detail of an internal failure goes to the log (without personal data), never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use placecode_core::sync::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("登记台未登记或凭证无效")]
    DeskUnknown,
    #[error("该登记台的凭证已被吊销，请联系管理员重新接入")]
    DeskRevoked,
    #[error("无权访问：需要追溯查询凭证")]
    Unauthorized,
    #[error("接入码无效、已使用或已过期")]
    TokenInvalid,
    #[error("该登记台已接入中心：只有它本身（带现有凭证）或指明它的新接入码才能重新接入")]
    DeskEnrolled,
    #[error("该追溯查询凭证无权进行此类查询")]
    OutOfScope,
    #[error("本登记台无权写入该场所的记录")]
    VenueNotEnrolled,
    #[error("登记台时钟与服务器相差{0}小时以上，请先校准时钟")]
    ClockSkew(i64),
    #[error("一批最多{0}条记录")]
    BatchTooLarge(usize),
    #[error("请求格式不对：{0}")]
    BadRequest(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("未找到{0}")]
    NotFound(&'static str),
    #[error("请求过于频繁，请稍后再试")]
    SlowDown,
    #[error("本凭证一小时内的查询次数已达上限，请一小时后再试")]
    TooManyQueries,
    #[error("服务器数据库错误，请稍后重试")]
    Database(#[from] sqlx::Error),
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
}

impl CentralError {
    pub fn code(&self) -> &'static str {
        match self {
            CentralError::DeskUnknown => "desk_unknown",
            CentralError::DeskRevoked => "desk_revoked",
            CentralError::Unauthorized => "unauthorized",
            CentralError::TokenInvalid => "token_invalid",
            CentralError::DeskEnrolled => "desk_enrolled",
            CentralError::OutOfScope => "out_of_scope",
            CentralError::VenueNotEnrolled => "venue_not_enrolled",
            CentralError::ClockSkew(_) => "clock_skew",
            CentralError::BatchTooLarge(_) => "batch_too_large",
            CentralError::BadRequest(_) => "bad_request",
            CentralError::Invalid { .. } => "invalid",
            CentralError::NotFound(_) => "not_found",
            CentralError::SlowDown | CentralError::TooManyQueries => "slow_down",
            CentralError::Database(_) => "database",
            CentralError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            CentralError::DeskUnknown | CentralError::DeskRevoked | CentralError::Unauthorized => {
                StatusCode::UNAUTHORIZED
            }
            CentralError::TokenInvalid | CentralError::VenueNotEnrolled | CentralError::OutOfScope => {
                StatusCode::FORBIDDEN
            }
            CentralError::DeskEnrolled => StatusCode::CONFLICT,
            CentralError::ClockSkew(_) => StatusCode::CONFLICT,
            CentralError::BatchTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            CentralError::BadRequest(_) | CentralError::Invalid { .. } => StatusCode::BAD_REQUEST,
            CentralError::NotFound(_) => StatusCode::NOT_FOUND,
            CentralError::SlowDown | CentralError::TooManyQueries => StatusCode::TOO_MANY_REQUESTS,
            CentralError::Database(_) | CentralError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn invalid(f: placecode_core::FieldError) -> Self {
        CentralError::Invalid { field: f.field, message: f.message }
    }
}

impl IntoResponse for CentralError {
    fn into_response(self) -> Response {
        match &self {
            // sqlx errors do not carry bound values, so no personal data reaches the log.
            CentralError::Database(e) => tracing::error!(error = %e, "database"),
            CentralError::Internal(e) => tracing::error!(error = %e, "internal"),
            _ => {}
        }
        let mut res = (self.status(), axum::Json(ApiError { code: self.code().into(), message: self.to_string() }))
            .into_response();
        match self {
            CentralError::SlowDown => {
                res.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("10"));
            }
            CentralError::TooManyQueries => {
                res.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("3600"));
            }
            _ => {}
        }
        res
    }
}

pub type Result<T, E = CentralError> = std::result::Result<T, E>;
