//! Per-store facts kept in the `meta` table: the storage id and the actor id.
//!
//! Both are made once, the first time a store is opened, and never change: peers key their sync
//! states by our storage id, and every change this store makes is signed by one actor so a
//! document does not grow a new actor per edit.

use std::str::FromStr;

use automerge::ActorId;
use rusqlite::{OptionalExtension, Transaction};

use super::error::StoreError;
use crate::ids::StorageId;

const STORAGE_ID: &str = "storage_id";
const ACTOR_ID: &str = "actor_id";

/// The identity of one store.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub storage_id: StorageId,
    pub actor: ActorId,
}

/// Reads the store's identity, making it on first open (inside the caller's transaction).
pub(crate) fn load_or_create(tx: &Transaction<'_>) -> Result<Identity, StoreError> {
    let storage_id = match get(tx, STORAGE_ID)? {
        Some(s) => {
            StorageId::from_str(&s).map_err(|e| StoreError::corrupt_from("stored storage id", e))?
        }
        None => {
            let id = StorageId::new_random();
            put(tx, STORAGE_ID, id.as_str())?;
            id
        }
    };
    let actor = match get(tx, ACTOR_ID)? {
        Some(s) => ActorId::try_from(s.as_str())
            .map_err(|e| StoreError::corrupt_from("stored actor id", e))?,
        None => {
            let actor = ActorId::random();
            put(tx, ACTOR_ID, &actor.to_hex_string())?;
            actor
        }
    };
    Ok(Identity { storage_id, actor })
}

fn get(tx: &Transaction<'_>, key: &str) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn put(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        [key, value],
    )?;
    Ok(())
}
