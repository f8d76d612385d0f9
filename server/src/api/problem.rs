//! Errors as RFC 9457 problem details, with the same business-language
//! sentences the UI shows; a validation problem names the field.

use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A link to this kind of problem in the API docs.
    #[serde(rename = "type")]
    #[schema(example = "/api/v1/docs#problem-invalid")]
    pub kind: String,
    #[schema(example = "Invalid request")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong and what to do next, in plain words.
    #[schema(example = "Pick a date and time.")]
    pub detail: String,
    /// For validation problems: the request field at fault.
    #[schema(example = "starts_at")]
    pub field: Option<String>,
    /// Quote this to support.
    pub request_id: Option<String>,
}

impl Problem {
    fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/api/v1/docs#problem-{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            request_id: None,
        }
    }

    pub fn unauthenticated(detail: &str) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "API key missing or not valid", detail)
    }

    pub fn not_found(detail: &str) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn internal(request_id: &str) -> Problem {
        Problem::from(AppError::Internal(request_id.to_string()))
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Problem {
        Problem::from(AppError::field(field, detail))
    }

    pub fn unsupported_media(detail: &str) -> Problem {
        Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send JSON", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::from(AppError::Conflict(detail.into()))
    }
}

/// A refusal of the product's forms, with the field named as the API's
/// JSON names it (`client` → `client_id`, `starts` → `starts_at`, …).
pub fn api_field(e: AppError) -> Problem {
    let mut p = Problem::from(e);
    p.field = p.field.map(|f| match f.as_str() {
        "sitter" => "sitter_id".into(),
        "client" => "client_id".into(),
        "number" => "number_id".into(),
        "starts" => "starts_at".into(),
        "ends" => "ends_at".into(),
        _ => f,
    });
    p
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (slug, title) = match &e {
            AppError::Invalid { .. } => ("invalid", "Invalid request"),
            AppError::Unauthenticated => ("unauthenticated", "API key missing or not valid"),
            AppError::Forbidden(_) => ("forbidden", "Not allowed"),
            AppError::NotFound(_) => ("not-found", "Not found"),
            AppError::Conflict(_) => ("conflict", "Not possible right now"),
            AppError::TooManyRequests(_) => ("rate-limited", "Too many requests"),
            AppError::Unavailable(_) => ("unavailable", "Temporarily unavailable"),
            AppError::Internal(_) | AppError::Transport(_) => ("internal", "Something went wrong on our side"),
        };
        let mut p = Problem::new(status, slug, title, e.to_string());
        p.field = e.field_name().map(str::to_string);
        if let AppError::Internal(id) = &e {
            p.request_id = Some(id.clone());
        }
        p
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Problem {
        let id = app::platform::crypto::short_id();
        tracing::error!(reference = %id, error = %e, "database error in the API");
        Problem::internal(&id)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = super::json(status, &self);
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Adds the problems every operation can answer with to the document, so
/// clients (and schema checkers) know their shape.
pub fn document_errors(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert("Problem".into(), Problem::schema());
    let common: [(&str, &str); 5] = [
        ("401", "The API key is missing, not valid or revoked."),
        ("403", "The key may not do this (a read-only key making a change)."),
        ("422", "The request isn't valid; `field` names what to fix."),
        ("429", "Too many requests for this key; see Retry-After."),
        ("500", "Something went wrong on our side; quote `request_id`."),
    ];
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                CONTENT_TYPE,
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))))
                    .build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [item.get.as_mut(), item.post.as_mut(), item.patch.as_mut(), item.put.as_mut(), item.delete.as_mut()];
        for op in ops.into_iter().flatten() {
            for (code, description) in common {
                op.responses.responses.entry(code.into()).or_insert_with(|| RefOr::T(problem(description)));
            }
            if op.request_body.is_some() {
                op.responses
                    .responses
                    .entry("415".into())
                    .or_insert_with(|| RefOr::T(problem("The body must be JSON (Content-Type: application/json).")));
            }
        }
    }
    doc
}
