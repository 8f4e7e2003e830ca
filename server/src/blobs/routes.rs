//! The blob routes (state attached by the caller): tus uploads and downloads.

use axum::Router;
use axum::routing::{get, options};

use super::{download, tus};
use crate::routes::AppState;

/// `/v1/blobs/...` of an authenticating server.
pub(crate) fn router() -> Router<AppState> {
    let uploads = Router::new()
        .route(tus::UPLOADS_PATH, options(tus::options).post(tus::create))
        .route(
            "/v1/blobs/uploads/{id}",
            axum::routing::head(tus::head).patch(tus::patch),
        )
        .layer(axum::middleware::map_response(tus::tus_resumable));
    Router::new()
        .route("/v1/blobs/{sha256}", get(download::blob))
        .route("/v1/blobs/{sha256}/thumbnail", get(download::thumbnail))
        .merge(uploads)
}
