//! The one module that talks HTTP to the server. Every call returns a
//! `shared` type or an [`ApiError`].

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::api::{Health, Problem};
use std::fmt;

/// Why a call failed, in a form the error component can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, server down, request blocked.
    Network(String),
    /// The server answered with problem+json.
    Problem(Box<Problem>),
    /// The server answered something that is not what the contract says.
    Unexpected { status: u16 },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(cause) => write!(f, "network error: {cause}"),
            ApiError::Problem(p) => write!(f, "{} ({}): {}", p.title, p.code, p.detail),
            ApiError::Unexpected { status } => {
                write!(f, "unexpected answer from the server (HTTP {status})")
            }
        }
    }
}

impl std::error::Error for ApiError {}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|_| ApiError::Unexpected { status });
    }
    match response.json::<Problem>().await {
        Ok(problem) => Err(ApiError::Problem(Box::new(problem))),
        Err(_) => Err(ApiError::Unexpected { status }),
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    read(response).await
}

/// `GET /api/health`.
pub async fn health() -> Result<Health, ApiError> {
    get("/api/health").await
}
