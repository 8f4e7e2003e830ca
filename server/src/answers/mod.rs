//! Answer links: `GET /v1/answers/{token}` shows a client the report they were sent with an
//! accept button and a dispute form; `POST` (a form: `action=accept|dispute`, `comment`) records
//! the answer (`Commands::answer`). No account, no bearer token: the signed link is the
//! capability (`links`), and it names exactly one report for one recipient until it expires.

pub mod links;
mod page;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use enlace_core::model::meeting_note::{ContactReportStatus, MAX_CLIENT_COMMENT};
use serde::Deserialize;

use crate::commands::CommandError;
use crate::directory::now_ms;
use crate::routes::AppState;
use links::{AnswerClaim, AnswerKey, LinkError};

/// The answer form.
#[derive(Debug, Deserialize)]
pub(crate) struct AnswerForm {
    action: String,
    #[serde(default)]
    comment: Option<String>,
}

/// The link's claim, or why it is refused.
fn claim(state: &AppState, token: &str) -> Result<AnswerClaim, LinkError> {
    let Some(auth) = &state.auth else {
        return Err(LinkError::Malformed);
    };
    let key = AnswerKey::derive(auth.access.snapshot().ticket_key());
    key.verify(token, now_ms())
}

/// The page refusing a link: `410` once expired, `404` for anything not ours.
fn refusal(error: LinkError) -> Response {
    let status = match error {
        LinkError::Expired => StatusCode::GONE,
        LinkError::Malformed | LinkError::Forged => StatusCode::NOT_FOUND,
    };
    refused(status, error)
}

fn refused(status: StatusCode, error: LinkError) -> Response {
    (status, Html(page::invalid(&error.to_string()))).into_response()
}

/// `GET /v1/answers/{token}`.
pub(crate) async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let claim = match claim(&state, &token) {
        Ok(claim) => claim,
        Err(error) => return refusal(error),
    };
    let Some(commands) = state.commands.clone() else {
        return refused(StatusCode::NOT_FOUND, LinkError::Malformed);
    };
    match commands.report_summary(claim.doc).await {
        Ok(report) if report.report_no.as_deref() == Some(claim.report_no.as_str()) => {
            let html = if report.status == ContactReportStatus::Sent {
                page::question(&claim.report_no, &report.title)
            } else {
                page::answered(&claim.report_no, report.status.as_str())
            };
            Html(html).into_response()
        }
        Ok(_) | Err(_) => refused(StatusCode::NOT_FOUND, LinkError::Malformed),
    }
}

/// `POST /v1/answers/{token}`.
pub(crate) async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let claim = match claim(&state, &token) {
        Ok(claim) => claim,
        Err(error) => return refusal(error),
    };
    let Some(commands) = state.commands.clone() else {
        return refused(StatusCode::NOT_FOUND, LinkError::Malformed);
    };
    let accept = match form.action.as_str() {
        "accept" => true,
        "dispute" => false,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Html(page::invalid("Unknown answer")),
            )
                .into_response();
        }
    };
    let comment = form.comment.filter(|c| !c.trim().is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.len() > MAX_CLIENT_COMMENT)
    {
        return (
            StatusCode::BAD_REQUEST,
            Html(page::invalid("The comment is too long")),
        )
            .into_response();
    }
    match commands.answer(&claim, accept, comment).await {
        Ok(status) => {
            tracing::info!(doc = %claim.doc, report = %claim.report_no, recipient = ?claim.recipient, status = status.as_str(), "client answered a contact report");
            Html(page::thanks(&claim.report_no, status.as_str())).into_response()
        }
        Err(CommandError::State(status)) => (
            StatusCode::CONFLICT,
            Html(page::answered(&claim.report_no, &status)),
        )
            .into_response(),
        Err(CommandError::NotFound) => refused(StatusCode::NOT_FOUND, LinkError::Malformed),
        Err(e) => {
            tracing::error!(doc = %claim.doc, error = &e as &dyn std::error::Error, "recording a client's answer failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(page::invalid(
                    "Something failed on our side; please try again later",
                )),
            )
                .into_response()
        }
    }
}
