//! The server's one error type, mapped to a status and problem+json in the
//! caller's language.

use crate::http::Method;
use shared::api::{FieldError, Problem, RawRecord};
use shared::gate::Blocker;
use shared::i18n::{Lang, Localized};
use shared::opportunity::OpError;
use shared::validate::FieldIssue;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No route for this path.
    NotFound {
        method: Method,
        path: String,
    },
    /// No such record, or one the caller may not see (same answer, no leak).
    RecordNotFound,
    MethodNotAllowed {
        allowed: Vec<Method>,
    },
    UnsupportedMethod,
    /// No valid session.
    Unauthenticated,
    /// Wrong e-mail or password: one answer for both.
    InvalidCredentials,
    /// Signed in, but the role does not allow it.
    Forbidden,
    /// A mutating request without a JSON body.
    UnsupportedMediaType,
    TooManyRequests {
        retry_after: u64,
    },
    /// The body is not the JSON the endpoint takes.
    BadRequest(String),
    /// Fields that failed validation.
    Invalid(Vec<FieldIssue>),
    /// The request conflicts with the current state (e.g. the last admin).
    Conflict {
        code: &'static str,
        message: Localized,
    },
    /// A configuration change open records are in the way of.
    InUse {
        code: &'static str,
        message: Localized,
        records: Vec<shared::api::InUse>,
    },
    /// A domain rule refused the change.
    Op(OpError),
    /// The gate refused the move; the blockers say why.
    Blocked(Vec<Blocker>),
    /// The version sent is not the current one; here is the current record.
    Stale(RawRecord),
    /// D1, KV or crypto failed; the cause is logged, not shown.
    Storage(String),
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> ApiError {
        ApiError::Op(e)
    }
}

impl ApiError {
    /// The 409 for a stale version, carrying the record as it is now.
    pub fn stale<T: serde::Serialize>(current: &T) -> ApiError {
        match RawRecord::new(current) {
            Ok(record) => ApiError::Stale(record),
            Err(e) => ApiError::Storage(e.to_string()),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound { .. } | ApiError::RecordNotFound => 404,
            ApiError::MethodNotAllowed { .. } | ApiError::UnsupportedMethod => 405,
            ApiError::Conflict { .. } | ApiError::Stale(_) | ApiError::InUse { .. } => 409,
            ApiError::Blocked(_) => 422,
            ApiError::Op(e) => match e {
                OpError::Forbidden
                | OpError::NotOwner
                | OpError::SelfApproval
                | OpError::NotApprover => 403,
                OpError::Closed
                | OpError::ApprovalNotRequestable
                | OpError::ApprovalNotPending
                | OpError::NotDisqualified => 409,
                _ => 422,
            },
            ApiError::UnsupportedMediaType => 415,
            ApiError::Invalid(_) => 422,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Storage(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::RecordNotFound => "not_found",
            ApiError::MethodNotAllowed { .. } | ApiError::UnsupportedMethod => "method_not_allowed",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden => "forbidden",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid(_) => "invalid",
            ApiError::Conflict { code, .. } | ApiError::InUse { code, .. } => code,
            ApiError::Op(e) => e.code(),
            ApiError::Blocked(_) => "blocked",
            ApiError::Stale(_) => "version_conflict",
            ApiError::Storage(_) => "storage_unavailable",
        }
    }

    /// The `Allow` header value for a 405.
    pub fn allow_header(&self) -> Option<String> {
        match self {
            ApiError::MethodNotAllowed { allowed } => Some(
                allowed
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
    }

    /// The `Retry-After` header value for a 429.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    fn title(&self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            415 => "Unsupported Media Type",
            422 => "Unprocessable Content",
            429 => "Too Many Requests",
            _ => "Service Unavailable",
        }
    }

    fn detail(&self) -> Localized {
        let t = |zh: &str, en: &str| Localized::new(zh, en);
        match self {
            ApiError::NotFound { method, path } => Localized::new(
                format!("没有这个接口：{method} {path}"),
                format!("no API route for {method} {path}"),
            ),
            ApiError::RecordNotFound => t(
                "记录不存在或您无权查看",
                "No such record, or not one you may see",
            ),
            ApiError::MethodNotAllowed { .. } => {
                let allow = self.allow_header().unwrap_or_default();
                Localized::new(
                    format!("该接口只支持 {allow}"),
                    format!("this path allows only {allow}"),
                )
            }
            ApiError::UnsupportedMethod => t("不支持的 HTTP 方法", "unsupported HTTP method"),
            ApiError::Unauthenticated => t("请先登录", "Sign in first"),
            ApiError::InvalidCredentials => t("邮箱或密码不正确", "Wrong e-mail or password"),
            ApiError::Forbidden => t("您的角色无权执行此操作", "Your role does not allow this"),
            ApiError::UnsupportedMediaType => t(
                "请求体必须是 JSON（Content-Type: application/json）",
                "The request body must be JSON (Content-Type: application/json)",
            ),
            ApiError::TooManyRequests { retry_after } => Localized::new(
                format!("尝试次数过多，请 {} 分钟后再试", retry_after.div_ceil(60)),
                format!(
                    "Too many attempts; try again in {} minutes",
                    retry_after.div_ceil(60)
                ),
            ),
            ApiError::BadRequest(why) => Localized::new(
                format!("请求无效：{why}"),
                format!("Malformed request: {why}"),
            ),
            ApiError::Invalid(_) => t("部分内容填写有误", "Some fields are not valid"),
            ApiError::Conflict { message, .. } | ApiError::InUse { message, .. } => message.clone(),
            ApiError::Op(e) => e.message(),
            ApiError::Blocked(_) => t("未满足阶段关卡的要求", "The stage gate is not met"),
            ApiError::Stale(_) => t(
                "该记录已被他人修改，请查看最新内容后重试",
                "Someone else changed this record; review the current version and try again",
            ),
            ApiError::Storage(_) => t(
                "暂时无法访问数据库，请稍后重试",
                "the database is not reachable right now; try again shortly",
            ),
        }
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        let mut p = Problem::new(
            self.status(),
            self.code(),
            self.title(),
            self.detail().get(lang),
        );
        if let ApiError::Blocked(blockers) = self {
            p.blockers = Some(blockers.clone());
        }
        if let ApiError::Stale(current) = self {
            p.current = Some(current.clone());
        }
        if let ApiError::InUse { records, .. } = self {
            p.in_use = Some(records.clone());
        }
        if let ApiError::Op(OpError::InvalidField { key, error }) = self {
            p.errors = Some(vec![FieldError {
                field: format!("fields.{key}"),
                code: error.code().to_string(),
                message: error.message().get(lang).to_string(),
            }]);
        }
        if let Some(issue) = match self {
            ApiError::Op(e) => e.field_issue(),
            _ => None,
        } {
            p.errors = Some(vec![FieldError {
                field: issue.field,
                code: issue.code,
                message: issue.message.get(lang).to_string(),
            }]);
        }
        if let ApiError::Invalid(issues) = self {
            p.errors = Some(
                issues
                    .iter()
                    .map(|i| FieldError {
                        field: i.field.clone(),
                        code: i.code.clone(),
                        message: i.message.get(lang).to_string(),
                    })
                    .collect(),
            );
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_route_is_a_404_problem_naming_the_request() {
        let e = ApiError::NotFound {
            method: Method::Get,
            path: "/api/nope".into(),
        };
        let p = e.to_problem(Lang::En);
        assert_eq!((p.status, p.code.as_str()), (404, "not_found"));
        assert!(p.detail.contains("GET /api/nope"));
    }

    #[test]
    fn method_not_allowed_carries_an_allow_header() {
        let e = ApiError::MethodNotAllowed {
            allowed: vec![Method::Get, Method::Post],
        };
        assert_eq!(e.status(), 405);
        assert_eq!(e.allow_header().as_deref(), Some("GET, POST"));
    }

    #[test]
    fn storage_failures_do_not_leak_their_cause() {
        let p = ApiError::Storage("D1_ERROR: no such table: secrets".into()).to_problem(Lang::En);
        assert_eq!(p.status, 503);
        assert!(!p.detail.contains("secrets"));
    }

    #[test]
    fn details_come_in_the_callers_language() {
        assert_eq!(
            ApiError::Unauthenticated.to_problem(Lang::ZhCn).detail,
            "请先登录"
        );
        assert_eq!(
            ApiError::Unauthenticated.to_problem(Lang::En).detail,
            "Sign in first"
        );
    }

    #[test]
    fn invalid_fields_are_listed_with_code_and_message() {
        let e = ApiError::Invalid(vec![FieldIssue::new(
            "email",
            "invalid_email",
            "邮箱无效",
            "Not an e-mail",
        )]);
        let p = e.to_problem(Lang::En);
        assert_eq!(p.status, 422);
        let errors = p.errors.unwrap();
        assert_eq!(
            (
                errors[0].field.as_str(),
                errors[0].code.as_str(),
                errors[0].message.as_str()
            ),
            ("email", "invalid_email", "Not an e-mail")
        );
    }

    #[test]
    fn a_too_long_text_names_its_field_and_limit_beside_the_input() {
        let e = ApiError::Op(OpError::TooLong {
            field: "comment",
            max: 2000,
        });
        let p = e.to_problem(Lang::ZhCn);
        assert_eq!((p.status, p.code.as_str()), (422, "too_long"));
        let errors = p.errors.unwrap();
        assert_eq!(errors[0].field, "comment");
        assert_eq!(errors[0].message, "最多 2000 个字符");
        assert!(p.detail.contains("2000"), "{}", p.detail);
    }

    #[test]
    fn domain_refusals_map_to_forbidden_conflict_or_unprocessable() {
        assert_eq!(ApiError::Op(OpError::SelfApproval).status(), 403);
        assert_eq!(ApiError::Op(OpError::Closed).status(), 409);
        assert_eq!(ApiError::Op(OpError::UnknownTask("x".into())).status(), 422);
        let p = ApiError::Op(OpError::SelfApproval).to_problem(Lang::En);
        assert_eq!(p.code, "self_approval");
    }

    #[test]
    fn a_refused_move_lists_its_blockers() {
        let blocker = Blocker {
            stage: shared::Key::parse("initiate").unwrap(),
            kind: shared::BlockerKind::Task,
            key: Some(shared::Key::parse("initiation_report").unwrap()),
            message: shared::Localized::new("编写立项报告", "Write the initiation report"),
        };
        let p = ApiError::Blocked(vec![blocker.clone()]).to_problem(Lang::En);
        assert_eq!((p.status, p.code.as_str()), (422, "blocked"));
        assert_eq!(p.blockers, Some(vec![blocker]));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let e = ApiError::TooManyRequests { retry_after: 900 };
        assert_eq!((e.status(), e.retry_after()), (429, Some(900)));
        assert!(e.to_problem(Lang::En).detail.contains("15 minutes"));
    }
}
