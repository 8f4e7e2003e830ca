//! The document registry as this server stores it, and its load at start.
//!
//! The store keeps a registration's account and creator as strings. Account and user ids are
//! chosen per organisation, so a bare `acme` does not say whose `acme`: this server writes them
//! qualified, `<organisation>/<account>` and `<organisation>/<user>` (`/` is no id character),
//! and a document of one organisation's `acme` is never another's.
//!
//! Registrations written before ids were per organisation, and documents stored before access
//! control (registered here from their content), name a bare account. At start it is looked up
//! in the directory: while exactly one organisation has that account (ids were unique across
//! organisations until then) the registration is rewritten in the qualified form, with the
//! creator in the same organisation. One that no organisation or several have is read by nobody
//! and looked up again at the next start.

use std::collections::HashMap;

use enlace_core::ids::DocumentId;
use enlace_core::model::{DocumentKind, classify};
use enlace_core::store::{Registration, Store};

use crate::ServerError;
use crate::access::Registered;
use crate::directory::{AccountId, AccountKey, OrgId, Snapshot, UserId, UserKey, now_ms};

/// A stored registration, read.
#[derive(Debug)]
enum Stored {
    /// In the qualified form, or with no account at all.
    Known(Registered),
    /// An account (and creator) without their organisation.
    Bare {
        kind: DocumentKind,
        account: AccountId,
        creator: Option<UserId>,
    },
}

fn read(r: &Registration) -> Stored {
    let (Some(kind), Some(account)) = (r.kind, r.account_id.as_deref()) else {
        return Stored::Known(Registered::Unclassified);
    };
    if account.contains('/') {
        let Ok(account) = account.parse::<AccountKey>() else {
            return Stored::Known(Registered::Unclassified);
        };
        let creator = r.creator.as_deref().and_then(|c| c.parse().ok());
        return Stored::Known(Registered::Document {
            kind,
            account,
            creator,
        });
    }
    match account.parse() {
        Ok(account) => Stored::Bare {
            kind,
            account,
            creator: r.creator.as_deref().and_then(|c| c.parse().ok()),
        },
        Err(_) => Stored::Known(Registered::Unclassified),
    }
}

/// A bare registration qualified with `org`: in memory, and as it is stored.
fn qualified(
    org: &OrgId,
    kind: DocumentKind,
    account: AccountId,
    creator: Option<UserId>,
    registered_ms: i64,
) -> (Registered, Registration) {
    let account = AccountKey::new(org.clone(), account);
    let creator = creator.map(|c| UserKey::new(org.clone(), c));
    let stored = Registration {
        kind: Some(kind),
        account_id: Some(account.to_string()),
        creator: creator.as_ref().map(UserKey::to_string),
        registered_ms,
    };
    let entry = Registered::Document {
        kind,
        account,
        creator,
    };
    (entry, stored)
}

/// Registers documents stored without a registration from their content (in the bare form:
/// their content names no organisation), then loads every registration, qualifying bare ones
/// where the directory allows. Blocking.
pub(crate) fn load(
    store: &Store,
    snapshot: &Snapshot,
) -> Result<HashMap<DocumentId, Registered>, ServerError> {
    register_from_content(store)?;
    let mut registry = HashMap::new();
    let mut rewrites = Vec::new();
    let mut unresolved = 0_usize;
    for (doc, r) in store.registrations()? {
        let entry = match read(&r) {
            Stored::Known(entry) => entry,
            Stored::Bare {
                kind,
                account,
                creator,
            } => match snapshot.organisations_with_account(&account).as_slice() {
                [org] => {
                    let (entry, stored) = qualified(org, kind, account, creator, r.registered_ms);
                    rewrites.push((doc, stored));
                    entry
                }
                _ => {
                    unresolved += 1;
                    Registered::Unclassified
                }
            },
        };
        registry.insert(doc, entry);
    }
    if !rewrites.is_empty() {
        let changed = store.rewrite_registrations(&rewrites)?;
        tracing::info!(
            documents = changed,
            "document registrations qualified with their account's organisation"
        );
    }
    if unresolved > 0 {
        tracing::warn!(
            documents = unresolved,
            "documents name an account that no single organisation has; nobody may read them \
             until one does (looked up again at the next start)"
        );
    }
    Ok(registry)
}

/// Documents stored before access control (or by an open server) are registered from their
/// content.
fn register_from_content(store: &Store) -> Result<(), ServerError> {
    let unregistered = store.unregistered_documents()?;
    if !unregistered.is_empty() {
        tracing::info!(
            documents = unregistered.len(),
            "registering documents stored before access control, from their content"
        );
    }
    for doc in unregistered {
        let found = store.load_raw(doc)?.as_ref().and_then(classify);
        let registration = Registration {
            kind: found.as_ref().map(|c| c.kind),
            account_id: found.map(|c| c.account_id),
            creator: None,
            registered_ms: now_ms(),
        };
        if registration.kind.is_none() {
            tracing::warn!(%doc, "stored document has no kind and account; nobody may read it");
        }
        store.register(doc, &registration)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(account: Option<&str>, creator: Option<&str>) -> Registration {
        Registration {
            kind: account.map(|_| DocumentKind::Storecheck),
            account_id: account.map(Into::into),
            creator: creator.map(Into::into),
            registered_ms: 1,
        }
    }

    fn key<T: std::str::FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().expect("key")
    }

    #[test]
    fn qualified_bare_and_missing_accounts_read_apart() {
        assert!(matches!(
            read(&registration(Some("andes/acme"), Some("andes/jr"))),
            Stored::Known(Registered::Document { account, creator: Some(creator), .. })
                if account == key("andes/acme") && creator == key("andes/jr")
        ));
        assert!(matches!(
            read(&registration(Some("ACME"), Some("Jr"))),
            Stored::Bare { account, creator: Some(creator), .. }
                if account == key("acme") && creator == key("jr")
        ));
        assert!(matches!(
            read(&registration(None, None)),
            Stored::Known(Registered::Unclassified)
        ));
        assert!(matches!(
            read(&registration(Some("a b"), None)),
            Stored::Known(Registered::Unclassified)
        ));
    }

    #[test]
    fn a_bare_registration_is_qualified_into_its_account_organisation() {
        let (entry, stored) = qualified(
            &key("andes"),
            DocumentKind::Storecheck,
            key("acme"),
            Some(key("jr")),
            5,
        );
        assert_eq!(stored.account_id.as_deref(), Some("andes/acme"));
        assert_eq!(stored.creator.as_deref(), Some("andes/jr"));
        assert_eq!(stored.registered_ms, 5);
        assert!(matches!(read(&stored), Stored::Known(known) if known == entry));
    }
}
