//! `POST /v1/documents/{document}/commands/{command}`: a server command on a document (see
//! `crate::commands`), with its arguments as an optional JSON body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use enlace_core::ids::DocumentId;

use super::ApiError;
use super::caller::Caller;
use crate::commands::{CommandArgs, CommandError, CommandName, CommandOutcome};
use crate::routes::AppState;

/// Runs the command for the caller.
pub(super) async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path((document, command)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<CommandOutcome>, ApiError> {
    let commands = state.commands.ok_or(ApiError::NotFound)?;
    // An id that does not parse names no document: the same 404 as any other.
    let doc: DocumentId = document.parse().map_err(|_| ApiError::NotFound)?;
    let name: CommandName = command.parse().map_err(|_| ApiError::NotFound)?;
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        CommandArgs::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the arguments: {e}")))?
    };
    let outcome = commands
        .run(&caller.principal.user, doc, name, args)
        .await
        .map_err(|e| api_error(&caller, doc, name, e))?;
    tracing::info!(
        %doc,
        command = name.as_str(),
        user = %caller.principal.user,
        status = %outcome.status,
        "command carried out"
    );
    Ok(Json(outcome))
}

/// `GET /v1/documents/{document}/deliveries`: the e-mail queued for the document (its contact
/// report) and how delivery went, for whoever may read the document.
pub(super) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(document): Path<String>,
) -> Result<Json<Vec<crate::outbox::Delivery>>, ApiError> {
    let commands = state.commands.ok_or(ApiError::NotFound)?;
    let doc: DocumentId = document.parse().map_err(|_| ApiError::NotFound)?;
    match commands.deliveries(&caller.principal.user, doc).await {
        Ok(list) => Ok(Json(list)),
        Err(CommandError::NotFound) => Err(ApiError::NotFound),
        Err(e) => {
            tracing::error!(%doc, error = &e as &dyn std::error::Error, "listing deliveries failed");
            Err(ApiError::Internal)
        }
    }
}

fn api_error(caller: &Caller, doc: DocumentId, name: CommandName, error: CommandError) -> ApiError {
    match error {
        CommandError::NotFound | CommandError::UnknownCommand => ApiError::NotFound,
        CommandError::Forbidden(why) => ApiError::NotAllowed(why),
        e @ (CommandError::WrongKind { .. } | CommandError::State(_)) => {
            ApiError::Conflict(e.to_string())
        }
        CommandError::Input(why) => ApiError::BadRequest(why),
        CommandError::Model(e) => ApiError::BadRequest(e.to_string()),
        e @ (CommandError::Store(_) | CommandError::Database(_) | CommandError::Stopping) => {
            tracing::error!(
                %doc,
                command = name.as_str(),
                user = %caller.principal.user,
                error = &e as &dyn std::error::Error,
                "command failed"
            );
            ApiError::Internal
        }
    }
}
