//! The one error type server functions return. Each variant is a sentence
//! for the operator (SPEC §4: business language, what to do next) and maps
//! to an HTTP status; internal details stay in the log under the request id.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// Input that can't be accepted; `field` names the form field, if any.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request is fine but the current state doesn't allow it.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact support and quote reference {0}.")]
    Internal(String),
    /// The browser couldn't reach the server or read its answer.
    #[error("We couldn't reach the server ({0}). Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid { field: None, message: message.into() }
    }

    /// Turns a domain rule's refusal into this field's error: `.map_err(AppError::on("from"))`.
    pub fn on(field: &str) -> impl Fn(String) -> AppError + '_ {
        move |message| AppError::field(field, message)
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: Some(field.to_string()), message: message.into() }
    }

    pub fn owner_only() -> Self {
        AppError::Forbidden("Only the business owner can do this.".into())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal(_) | AppError::Transport(_) => 500,
        }
    }

    pub fn field_name(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::invalid(format!(
                "Some of the information sent was incomplete or malformed ({m}). Check the form and try again."
            )),
            // On the server, a body that can't even be read as text is the
            // caller's mistake too; in the browser it means a garbled answer.
            ServerFnErrorErr::Deserialization(m) if cfg!(feature = "ssr") => {
                AppError::invalid(format!("The request couldn't be read ({m}). Reload the page and try again."))
            }
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Transport(m),
            other => AppError::Transport(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
