//! Extractors that answer bad input with a problem naming the field, never
//! with a bare 400 or a panic.

use super::{Caller, Problem};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The longest JSON body accepted.
const MAX_BODY: usize = 256 * 1024;

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Problem::unauthenticated("Send your API key in the Authorization header."))
    }
}

/// Serde's "missing field `x`" and friends, turned into a field and a sentence.
fn field_problem(path: String, inner: &str) -> Problem {
    let missing = inner.strip_prefix("missing field `").and_then(|r| r.split('`').next());
    let field = match (path.as_str(), missing) {
        (".", Some(m)) | ("", Some(m)) => m.to_string(),
        (p, Some(m)) => format!("{p}.{m}"),
        (".", None) | ("", None) => "body".to_string(),
        (p, None) => p.to_string(),
    };
    let detail = if missing.is_some() {
        format!("`{field}` is required.")
    } else {
        // Drop serde's " at line 1 column 9" tail.
        let inner = inner.split(" at line ").next().unwrap_or(inner);
        format!("`{field}` isn't valid: {inner}.")
    };
    Problem::invalid(&field, detail)
}

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::unsupported_media("Send the body as JSON with `Content-Type: application/json`."));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| Problem::invalid("body", "The body couldn't be read."))?;
        if bytes.len() > MAX_BODY {
            return Err(Problem::invalid("body", format!("The body is over {} KB.", MAX_BODY / 1024)));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => de
                .end()
                .map(|_| ApiJson(v))
                .map_err(|_| Problem::invalid("body", "There is something after the JSON object; send one object.")),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(Problem::invalid("body", "The body isn't valid JSON."))
                } else {
                    Err(field_problem(path, &inner.to_string()))
                }
            }
        }
    }
}

/// Query-string parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|e| field_problem(e.path().to_string(), &e.into_inner().to_string()))
    }
}

/// An id in the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw): axum::extract::Path<Vec<(String, String)>> =
            axum::extract::Path::from_request_parts(parts, state)
                .await
                .map_err(|_| Problem::invalid("id", "The id in the address isn't valid."))?;
        let (name, value) = raw.into_iter().next().ok_or_else(|| Problem::invalid("id", "The address needs an id."))?;
        value
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(Id)
            .ok_or_else(|| Problem::invalid(&name, format!("`{name}` is a positive whole number, not \"{value}\".")))
    }
}
