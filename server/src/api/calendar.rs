//! `GET`/`PUT /v1/admin/calendar`: the admin's organisation's working calendar (time zone,
//! working days, holidays), which decides when a client's silence accepts a contact report.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;

use super::ApiError;
use super::caller::Caller;
use crate::calendar::Calendar;
use crate::commands::CommandError;
use crate::routes::AppState;

/// `GET /v1/admin/calendar`: the calendar (the default until one is set).
pub(super) async fn get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Calendar>, ApiError> {
    caller.require_admin()?;
    let commands = state.commands.ok_or(ApiError::NotFound)?;
    let org = caller.user.org.clone();
    let calendar = tokio::task::spawn_blocking(move || commands.calendar(&org))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(internal)?;
    Ok(Json(calendar))
}

/// `PUT /v1/admin/calendar` with the calendar as JSON: `{"zone", "working_days", "holidays"}`.
pub(super) async fn put(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let commands = state.commands.ok_or(ApiError::NotFound)?;
    let calendar: Calendar = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the calendar: {e}")))?;
    let org = caller.user.org.clone();
    tokio::task::spawn_blocking(move || commands.set_calendar(&org, &calendar))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(internal)?;
    Ok(StatusCode::NO_CONTENT)
}

fn internal(error: CommandError) -> ApiError {
    tracing::error!(
        error = &error as &dyn std::error::Error,
        "the calendar store failed"
    );
    ApiError::Internal
}
