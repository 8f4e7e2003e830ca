//! The JSON API of an authenticated server (`docs/access.md` lists every route).
//!
//! - `caller`: who is calling (bearer header only; tickets are for the upgrade alone).
//! - `me`: what a signed-in person may read: themselves, their accounts and teammates, the
//!   people they may see, a document's registration; and websocket tickets.
//! - `admin`: the directory of the admin's own organisation.
//! - `commands`: the moves only the server makes in a document (`crate::commands`).
//! - `reference`: reference data (stores, products, assortments, contacts, visit plans) as CSV.

mod admin;
mod calendar;
mod caller;
mod commands;
mod error;
mod me;
mod reference;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

pub(crate) use error::ApiError;

use crate::routes::AppState;

/// Largest JSON body accepted.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API routes (state attached by the caller).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tickets", post(me::ticket))
        .route("/v1/me", get(me::me))
        .route("/v1/accounts", get(me::accounts))
        .route("/v1/accounts/{account}/team", get(me::team))
        .route("/v1/people", get(me::people))
        .route("/v1/documents/{document}", get(me::document))
        .route(
            "/v1/documents/{document}/commands/{command}",
            post(commands::run),
        )
        .route(
            "/v1/documents/{document}/deliveries",
            get(commands::deliveries),
        )
        .route(
            "/v1/answers/{token}",
            get(crate::answers::show).post(crate::answers::answer),
        )
        .route(
            "/v1/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route(
            "/v1/admin/accounts",
            get(admin::accounts).post(admin::create_account),
        )
        .route(
            "/v1/admin/accounts/{account}/members/{user}",
            put(admin::set_member).delete(admin::remove_member),
        )
        .route(
            "/v1/admin/supervision/{supervisor}/{supervisee}",
            put(admin::add_supervision).delete(admin::remove_supervision),
        )
        .route("/v1/admin/tokens", post(admin::issue_token))
        .route("/v1/admin/calendar", get(calendar::get).put(calendar::put))
        .route("/v1/admin/tokens/{token}", delete(admin::revoke_token))
        .route(
            "/v1/admin/reference/{kind}/import",
            // A CSV file, not a JSON body: its own, larger limit.
            post(reference::import).layer(DefaultBodyLimit::max(crate::reference::MAX_FILE_BYTES)),
        )
        .route("/v1/admin/reference/{kind}", get(reference::list))
        .route(
            "/v1/admin/reference/{kind}/{*key}",
            delete(reference::delete),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
