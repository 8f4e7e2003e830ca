//! Single rows: a page of a kind's rows (as the CSV names their fields) and deleting one row by
//! its key. A store or product still named by an assortment row or a visit plan is not deleted
//! (`409`): delete those first. Deletes mark the catalogs they change, like imports.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};

use super::ReferenceError;
use super::import::{Importer, accounts_of_product, accounts_of_store};
use super::kind::ReferenceKind;
use crate::directory::{AccountId, OrgId};

/// Most rows one page lists.
pub const MAX_PAGE: u32 = 1_000;

/// The accounts a director's listing is limited to, as a JSON array for `json_each`; `None` for
/// an admin.
fn scope(importer: &Importer) -> Option<String> {
    match importer {
        Importer::Admin => None,
        Importer::Director(accounts) => Some(
            Value::from(
                accounts
                    .iter()
                    .map(|a| a.as_str().to_owned())
                    .collect::<Vec<_>>(),
            )
            .to_string(),
        ),
    }
}

/// Up to `limit` rows of `kind` after the first `offset`, in key order. A director sees the
/// organisation's stores and products, and the other kinds' rows of the accounts they direct.
pub(crate) fn list(
    conn: &Connection,
    org: &OrgId,
    kind: ReferenceKind,
    offset: u64,
    limit: u32,
    importer: &Importer,
) -> Result<Vec<Value>, ReferenceError> {
    super::db::require_org(conn, org)?;
    let limit = limit.clamp(1, MAX_PAGE);
    let offset = i64::try_from(offset).map_err(|_| ReferenceError::BadRequest("offset".into()))?;
    let accounts = scope(importer);
    // Stores and products are the organisation's: `?4` is there only to bind the same
    // parameters.
    let filter = "(?4 IS NULL OR account_id IN (SELECT value FROM json_each(?4)))";
    let sql = match kind {
        ReferenceKind::Stores => "SELECT code, name, chain, format, address, region, lat, lon, \
             cluster FROM ref_stores WHERE org_id = ?1 AND (?4 IS NULL OR ?4 IS NOT NULL) \
             ORDER BY code LIMIT ?2 OFFSET ?3"
            .to_owned(),
        ReferenceKind::Products => "SELECT gtin, name, brand, category, owner_account \
             FROM ref_products WHERE org_id = ?1 AND (?4 IS NULL OR ?4 IS NOT NULL) \
             ORDER BY gtin LIMIT ?2 OFFSET ?3"
            .to_owned(),
        ReferenceKind::Assortments => format!(
            "SELECT account_id, CASE WHEN cluster <> '' THEN 'cluster:' || cluster \
             ELSE store_code END, gtin, must_stock, target_facings, target_price, currency \
             FROM ref_assortments WHERE org_id = ?1 AND {filter} \
             ORDER BY account_id, store_code, cluster, gtin LIMIT ?2 OFFSET ?3"
        ),
        ReferenceKind::Contacts => format!(
            "SELECT account_id, id, name, title, email FROM ref_contacts \
             WHERE org_id = ?1 AND {filter} ORDER BY account_id, id LIMIT ?2 OFFSET ?3"
        ),
        ReferenceKind::VisitPlans => format!(
            "SELECT account_id, id, user_id, store_code, weekday, every_weeks, starts_on, \
             ends_on, note FROM ref_visit_plans WHERE org_id = ?1 AND {filter} \
             ORDER BY account_id, id LIMIT ?2 OFFSET ?3"
        ),
    };
    let header = kind.header();
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params![org.as_str(), limit, offset, accounts])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut object = serde_json::Map::new();
        for (i, name) in header.iter().enumerate() {
            let value = match row.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(x) => json!(x),
                rusqlite::types::ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                rusqlite::types::ValueRef::Blob(_) => Value::Null,
            };
            object.insert((*name).to_owned(), value);
        }
        if kind == ReferenceKind::Assortments {
            // Stored as an integer; the CSV says true or false.
            let stock = object.get("must_stock").and_then(Value::as_i64) == Some(1);
            object.insert("must_stock".into(), json!(stock));
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// The parts of a key: `code`, `gtin`, `account/store/gtin` (store may be `cluster:NAME`),
/// `account/id`.
fn parts(kind: ReferenceKind, key: &str) -> Result<Vec<String>, ReferenceError> {
    let parts: Vec<String> = key.split('/').map(str::to_owned).collect();
    let want = match kind {
        ReferenceKind::Stores | ReferenceKind::Products => 1,
        ReferenceKind::Assortments => 3,
        ReferenceKind::Contacts | ReferenceKind::VisitPlans => 2,
    };
    if parts.len() != want || parts.iter().any(String::is_empty) || key.len() > 1024 {
        return Err(ReferenceError::BadRequest(format!(
            "a {kind} key is {}",
            match want {
                1 if kind == ReferenceKind::Stores => "a store code",
                1 => "a GTIN",
                3 => "ACCOUNT/STORE/GTIN (STORE may be cluster:NAME)",
                _ => "ACCOUNT/ID",
            }
        )));
    }
    Ok(parts)
}

/// Deletes the row of `kind` with `key`; `NotFound` if there is none (or it is of an account
/// the director does not direct).
pub(crate) fn delete(
    conn: &mut Connection,
    org: &OrgId,
    kind: ReferenceKind,
    key: &str,
    importer: &Importer,
) -> Result<(), ReferenceError> {
    let parts = parts(kind, key)?;
    if let Importer::Director(accounts) = importer {
        if !kind.per_account() {
            return Err(ReferenceError::NotAllowed(
                "stores and products are shared by the whole organisation: an admin deletes them",
            ));
        }
        let account: Option<AccountId> = parts[0].parse().ok();
        if !account.is_some_and(|a| accounts.contains(&a)) {
            return Err(ReferenceError::NotFound);
        }
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    super::db::require_org(&tx, org)?;
    let o = org.as_str();
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    let removed = match kind {
        ReferenceKind::Stores => {
            let code = &parts[0];
            let cluster: Option<String> = tx
                .query_row(
                    "SELECT cluster FROM ref_stores WHERE org_id = ?1 AND code = ?2",
                    params![o, code],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(cluster) = cluster else {
                return Err(ReferenceError::NotFound);
            };
            let named: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM ref_assortments WHERE org_id = ?1 AND store_code = ?2)
                     OR EXISTS (SELECT 1 FROM ref_visit_plans WHERE org_id = ?1 AND store_code = ?2)",
                params![o, code],
                |r| r.get(0),
            )?;
            if named {
                return Err(ReferenceError::Conflict(format!(
                    "store {code} is named by assortment rows or visit plans: delete them first"
                )));
            }
            dirty.extend(accounts_of_store(&tx, org, code, [&cluster, ""])?);
            tx.execute(
                "DELETE FROM ref_stores WHERE org_id = ?1 AND code = ?2",
                params![o, code],
            )?
        }
        ReferenceKind::Products => {
            let gtin = &parts[0];
            let owner: Option<String> = tx
                .query_row(
                    "SELECT owner_account FROM ref_products WHERE org_id = ?1 AND gtin = ?2",
                    params![o, gtin],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(owner) = owner else {
                return Err(ReferenceError::NotFound);
            };
            if !accounts_of_product(&tx, org, gtin, ["", ""])?.is_empty() {
                return Err(ReferenceError::Conflict(format!(
                    "product {gtin} is in assortments: delete those rows first"
                )));
            }
            dirty.extend(accounts_of_product(&tx, org, gtin, [&owner, ""])?);
            tx.execute(
                "DELETE FROM ref_products WHERE org_id = ?1 AND gtin = ?2",
                params![o, gtin],
            )?
        }
        ReferenceKind::Assortments => {
            let (store, cluster) = match parts[1].strip_prefix("cluster:") {
                Some(name) => ("", name),
                None => (parts[1].as_str(), ""),
            };
            dirty.insert(parts[0].clone());
            tx.execute(
                "DELETE FROM ref_assortments WHERE org_id = ?1 AND account_id = ?2
                 AND store_code = ?3 AND cluster = ?4 AND gtin = ?5",
                params![o, parts[0], store, cluster, parts[2]],
            )?
        }
        ReferenceKind::Contacts => {
            dirty.insert(parts[0].clone());
            tx.execute(
                "DELETE FROM ref_contacts WHERE org_id = ?1 AND account_id = ?2 AND id = ?3",
                params![o, parts[0], parts[1]],
            )?
        }
        ReferenceKind::VisitPlans => {
            dirty.insert(parts[0].clone());
            tx.execute(
                "DELETE FROM ref_visit_plans WHERE org_id = ?1 AND account_id = ?2 AND id = ?3",
                params![o, parts[0], parts[1]],
            )?
        }
    };
    if removed == 0 {
        return Err(ReferenceError::NotFound);
    }
    super::db::mark_dirty(&tx, org, &dirty)?;
    tx.commit()?;
    tracing::info!(%org, %kind, key, "reference row deleted");
    Ok(())
}
