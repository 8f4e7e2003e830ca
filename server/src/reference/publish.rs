//! Writes catalogs: for each account on the to-do list (`catalog_dirty`), the catalog the
//! tables call for is reconciled into the account's catalog document under the server's own
//! automerge actor (`Store::change_authoritatively`), then handed to the engine as a server
//! change, which sends it to every phone syncing the document and tells catch-up connections.
//!
//! The first time, the document is registered (kind `catalog`, the account, no creator) before
//! it is stored, so the access layer places it in the account from its first byte. Version and
//! time move only when the content changed: writing the same catalog again makes no change.
//! The account leaves the to-do list only after its document was written, so a crash in
//! between is repaired by the next round (at start, or after the next import).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use automerge::{ActorId, ChangeHash};
use enlace_core::ids::DocumentId;
use enlace_core::model::{Catalog, DocumentKind, empty_document, init_document};
use enlace_core::store::{ListingRows, Registration, Store};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ReferenceError;
use super::db::{self, Dirty, ReferenceDb};
use super::import::{ImportOutcome, Importer};
use super::kind::ReferenceKind;
use super::project;
use crate::access::{Registered, SharedAccess};
use crate::directory::{AccountKey, OrgId, now_ms};
use crate::hub::HubInput;

/// How often the server looks for accounts marked by another process (the `admin` command).
const POLL: Duration = Duration::from_secs(1);

/// A change the server made, for the engine.
struct Written {
    doc: DocumentId,
    changes: Vec<u8>,
    heads: Vec<ChangeHash>,
}

/// Imports reference data and keeps the catalog documents up to date with it.
pub(crate) struct Catalogs {
    db: Arc<ReferenceDb>,
    store: Arc<Store>,
    actor: ActorId,
    hub: mpsc::Sender<HubInput>,
    access: Arc<SharedAccess>,
    /// One round of projection at a time.
    serial: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogs").finish_non_exhaustive()
    }
}

impl Catalogs {
    /// Opens the reference tables in `data_dir` and the documents database at `documents`.
    pub(crate) fn open(
        data_dir: &Path,
        documents: &Path,
        actor: ActorId,
        hub: mpsc::Sender<HubInput>,
        access: Arc<SharedAccess>,
    ) -> Result<Self, ReferenceError> {
        Ok(Catalogs {
            db: Arc::new(ReferenceDb::open_in(data_dir)?),
            store: Arc::new(Store::open(documents)?),
            actor,
            hub,
            access,
            serial: tokio::sync::Mutex::new(()),
        })
    }

    /// The reference tables.
    pub(crate) fn db(&self) -> &Arc<ReferenceDb> {
        &self.db
    }

    /// Imports a file, then writes the catalogs it changed.
    pub(crate) async fn import(
        &self,
        org: OrgId,
        kind: ReferenceKind,
        text: Vec<u8>,
        importer: Importer,
    ) -> Result<ImportOutcome, ReferenceError> {
        let db = self.db.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            super::import::import(&mut db.conn(), &org, kind, &text, &importer)
        })
        .await
        .map_err(|_| ReferenceError::Stopping)??;
        self.project_dirty().await?;
        Ok(outcome)
    }

    /// Runs `op` on the tables off the runtime, then writes the catalogs it changed.
    pub(crate) async fn change<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut rusqlite::Connection) -> Result<T, ReferenceError> + Send + 'static,
    ) -> Result<T, ReferenceError> {
        let db = self.db.clone();
        let out = tokio::task::spawn_blocking(move || op(&mut db.conn()))
            .await
            .map_err(|_| ReferenceError::Stopping)??;
        self.project_dirty().await?;
        Ok(out)
    }

    /// Writes the catalog of every account on the to-do list; returns how many documents
    /// changed.
    pub(crate) async fn project_dirty(&self) -> Result<usize, ReferenceError> {
        let _serial = self.serial.lock().await;
        let mut changed = 0;
        // Accounts that failed this round stay listed for the next; the others go on.
        let mut failed = std::collections::HashSet::new();
        let mut announced = false;
        loop {
            let db = self.db.clone();
            let batch = tokio::task::spawn_blocking(move || db::dirty(&db.conn()))
                .await
                .map_err(|_| ReferenceError::Stopping)??;
            if batch.iter().all(|d| failed.contains(&d.key())) {
                return Ok(changed);
            }
            for dirty in batch {
                if failed.contains(&dirty.key()) {
                    continue;
                }
                let (written, registered) = match self.write_one(dirty.clone()).await {
                    Ok(done) => done,
                    Err(ReferenceError::Stopping) => return Err(ReferenceError::Stopping),
                    Err(error) => {
                        tracing::error!(
                            org = %dirty.org,
                            account = %dirty.account,
                            error = &error as &dyn std::error::Error,
                            "writing a catalog failed; it stays on the to-do list"
                        );
                        failed.insert(dirty.key());
                        continue;
                    }
                };
                if registered && !announced {
                    // The engine decides again who may sync what, now that it exists: once
                    // per round, not once per new catalog (it looks at every connection's
                    // documents), and before the first new catalog's change.
                    self.hub
                        .send(HubInput::AccessChanged {
                            revoked: Vec::new(),
                        })
                        .await
                        .map_err(|_| ReferenceError::Stopping)?;
                    announced = true;
                }
                if !written.is_empty() {
                    changed += 1;
                }
                for w in written {
                    self.hub
                        .send(HubInput::ServerChange {
                            doc: w.doc,
                            changes: w.changes,
                            heads: w.heads,
                        })
                        .await
                        .map_err(|_| ReferenceError::Stopping)?;
                }
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || db::clear_dirty(&db.conn(), &dirty))
                    .await
                    .map_err(|_| ReferenceError::Stopping)??;
            }
        }
    }

    /// Projects and writes one account's catalog (blocking work off the runtime).
    async fn write_one(&self, dirty: Dirty) -> Result<(Vec<Written>, bool), ReferenceError> {
        let (db, store, actor, access) = (
            self.db.clone(),
            self.store.clone(),
            self.actor.clone(),
            self.access.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let catalog = project::project(&mut db.conn(), &dirty.org, &dirty.account)?;
            let account = AccountKey::new(dirty.org.clone(), dirty.account.clone());
            write_catalog(&store, &actor, &access, &account, catalog)
        })
        .await
        .map_err(|_| ReferenceError::Stopping)?
    }
}

/// Registers the catalog document if it is new, creates it if it is not stored, and reconciles
/// `catalog` into it. The changes made (none when the content is the same) and whether the
/// document was registered now.
fn write_catalog(
    store: &Store,
    actor: &ActorId,
    access: &SharedAccess,
    account: &AccountKey,
    catalog: Catalog,
) -> Result<(Vec<Written>, bool), ReferenceError> {
    let id = catalog.id;
    let entry = Registered::Document {
        kind: DocumentKind::Catalog,
        account: account.clone(),
        creator: None,
    };
    let registered = match access.registration(&id) {
        Some(found) if found == entry => false,
        Some(_) => return Err(ReferenceError::Taken(id)),
        None => {
            store.register(
                id,
                &Registration {
                    kind: Some(DocumentKind::Catalog),
                    account_id: Some(account.to_string()),
                    creator: None,
                    registered_ms: now_ms(),
                },
            )?;
            access.register(id, entry);
            true
        }
    };
    let mut written = Vec::new();
    if store.heads(id)?.is_none() {
        let mut doc = empty_document().with_actor(actor.clone());
        init_document(&mut doc, &Catalog::new(id, catalog.account_id.clone()))?;
        let bytes = doc.save();
        let merged = store.merge_from::<Catalog>(id, &bytes)?;
        written.push(Written {
            doc: id,
            changes: bytes,
            heads: merged.heads,
        });
    }
    let changed = store.change_authoritatively(
        id,
        actor,
        ListingRows::Unindexed,
        |stored: &mut Catalog, _tx| {
            let mut next = catalog;
            next.version = stored.version;
            next.updated_ms = stored.updated_ms;
            if next != *stored {
                next.version = stored.version + 1;
                next.updated_ms = now_ms().max(stored.updated_ms);
                *stored = next;
            }
            Ok::<_, ReferenceError>(())
        },
    )?;
    if !changed.changes.is_empty() {
        tracing::info!(
            doc = %id,
            %account,
            bytes = changed.changes.len(),
            "catalog written"
        );
        written.push(Written {
            doc: id,
            changes: changed.changes,
            heads: changed.heads,
        });
    }
    Ok((written, registered))
}

/// Until `stop`: writes the catalogs left on the to-do list by a previous run or by another
/// process (the `admin` command), at start and then every [`POLL`].
pub(crate) async fn watch(catalogs: Arc<Catalogs>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        match catalogs.project_dirty().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(catalogs = n, "catalogs brought up to date"),
            Err(ReferenceError::Stopping) => return,
            Err(error) => {
                tracing::error!(
                    error = &error as &dyn std::error::Error,
                    "writing catalogs failed"
                );
            }
        }
    }
}
