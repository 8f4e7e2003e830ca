//! An import: a parsed file checked against the organisation's tables and written as an upsert,
//! in one transaction with the accounts whose catalogs must be written again
//! (`catalog_dirty`). A file with any bad line, or naming anything that does not exist,
//! changes nothing. A row equal to the stored one is not written, so importing the same file
//! twice changes nothing and marks no catalog.

use std::collections::{BTreeSet, HashSet};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::ReferenceError;
use super::kind::ReferenceKind;
use super::parse::{self, LineErrors};
use super::rows::{AssortmentRow, ContactRow, PlanRow, ProductRow, Row, Scope, StoreRow};
use crate::directory::{AccountId, OrgId};

/// Who imports, which decides which rows they may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Importer {
    /// An admin of the organisation (or the command line): everything.
    Admin,
    /// An account director: rows of the accounts they direct, and nothing shared.
    Director(BTreeSet<AccountId>),
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// Rows inserted or different from the stored ones.
    pub changed: u64,
    /// Rows equal to the stored ones.
    pub unchanged: u64,
}

/// What exists in the organisation, read once per import.
struct Known {
    accounts: HashSet<String>,
    users: HashSet<String>,
    stores: HashSet<String>,
    clusters: HashSet<String>,
    gtins: HashSet<String>,
}

fn strings(tx: &Transaction<'_>, sql: &str, org: &OrgId) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map(params![org.as_str()], |r| r.get::<_, String>(0))?;
    rows.collect()
}

impl Known {
    fn read(tx: &Transaction<'_>, org: &OrgId) -> rusqlite::Result<Self> {
        Ok(Known {
            accounts: strings(tx, "SELECT id FROM accounts WHERE org_id = ?1", org)?,
            users: strings(tx, "SELECT id FROM users WHERE org_id = ?1", org)?,
            stores: strings(tx, "SELECT code FROM ref_stores WHERE org_id = ?1", org)?,
            clusters: strings(
                tx,
                "SELECT DISTINCT cluster FROM ref_stores WHERE org_id = ?1 AND cluster <> ''",
                org,
            )?,
            gtins: strings(tx, "SELECT gtin FROM ref_products WHERE org_id = ?1", org)?,
        })
    }

    /// Why `row` names something the organisation lacks, if it does.
    fn missing(&self, row: &Row) -> Option<String> {
        let account = |a: &AccountId, what: &str| {
            (!self.accounts.contains(a.as_str())).then(|| format!("{what}: no account {a}"))
        };
        let gtin = |g: &str| {
            (!self.gtins.contains(g)).then(|| format!("gtin: no product {g}: import it first"))
        };
        let store = |s: &str| {
            (!self.stores.contains(s)).then(|| format!("store: no store {s:?}: import it first"))
        };
        match row {
            Row::Store(_) => None,
            Row::Product(p) => p.owner.as_ref().and_then(|a| account(a, "owner_account")),
            Row::Assortment(a) => account(&a.account, "account")
                .or_else(|| match &a.scope {
                    Scope::Store(code) => store(code),
                    Scope::Cluster(name) => (!self.clusters.contains(name))
                        .then(|| format!("store: no store is in cluster {name:?}")),
                })
                .or_else(|| gtin(&a.gtin)),
            Row::Contact(c) => account(&c.account, "account"),
            Row::Plan(p) => account(&p.account, "account")
                .or_else(|| {
                    (!self.users.contains(p.user.as_str()))
                        .then(|| format!("user: no user {}", p.user))
                })
                .or_else(|| p.plan.store_code.as_deref().and_then(store)),
        }
    }
}

/// Imports `text` as a file of `kind` into `org`.
pub(crate) fn import(
    conn: &mut Connection,
    org: &OrgId,
    kind: ReferenceKind,
    text: &[u8],
    importer: &Importer,
) -> Result<ImportOutcome, ReferenceError> {
    if let Importer::Director(_) = importer
        && !kind.per_account()
    {
        return Err(ReferenceError::NotAllowed(
            "stores and products are shared by the whole organisation: an admin imports them",
        ));
    }
    let rows = parse::parse(kind, text).map_err(ReferenceError::Lines)?;
    let mut errors = LineErrors::default();
    if let Importer::Director(accounts) = importer {
        for (line, row) in &rows {
            if let Some(account) = row.account().filter(|a| !accounts.contains(*a)) {
                errors.push(*line, format!("account {account} is not one you direct"));
            }
        }
        if !errors.is_empty() {
            return Err(ReferenceError::Lines(errors));
        }
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    super::db::require_org(&tx, org)?;
    let known = Known::read(&tx, org)?;
    for (line, row) in &rows {
        if let Some(reason) = known.missing(row) {
            errors.push(*line, reason);
        }
    }
    if !errors.is_empty() {
        return Err(ReferenceError::Lines(errors));
    }
    let mut outcome = ImportOutcome::default();
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    for (_, row) in &rows {
        let touched = match row {
            Row::Store(r) => upsert_store(&tx, org, r)?,
            Row::Product(r) => upsert_product(&tx, org, r)?,
            Row::Assortment(r) => upsert_assortment(&tx, org, r)?,
            Row::Contact(r) => upsert_contact(&tx, org, r)?,
            Row::Plan(r) => upsert_plan(&tx, org, r)?,
        };
        match touched {
            Some(accounts) => {
                outcome.changed += 1;
                dirty.extend(accounts);
            }
            None => outcome.unchanged += 1,
        }
    }
    super::db::mark_dirty(&tx, org, &dirty)?;
    tx.commit()?;
    tracing::info!(
        %org,
        %kind,
        changed = outcome.changed,
        unchanged = outcome.unchanged,
        catalogs = dirty.len(),
        "reference data imported"
    );
    Ok(outcome)
}

/// The accounts whose catalog holds a store (through an assortment row of it or its cluster,
/// or a visit plan), with `clusters` the store's clusters before and after a change.
pub(crate) fn accounts_of_store(
    tx: &Transaction<'_>,
    org: &OrgId,
    code: &str,
    clusters: [&str; 2],
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT account_id FROM ref_assortments
             WHERE org_id = ?1 AND (store_code = ?2 OR (cluster <> '' AND cluster IN (?3, ?4)))
         UNION
         SELECT account_id FROM ref_visit_plans WHERE org_id = ?1 AND store_code = ?2",
    )?;
    let rows = stmt.query_map(params![org.as_str(), code, clusters[0], clusters[1]], |r| {
        r.get(0)
    })?;
    rows.collect()
}

/// The accounts whose catalog holds a product: through their assortments, or as its owners
/// (`owners`, before and after a change).
pub(crate) fn accounts_of_product(
    tx: &Transaction<'_>,
    org: &OrgId,
    gtin: &str,
    owners: [&str; 2],
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT DISTINCT account_id FROM ref_assortments WHERE org_id = ?1 AND gtin = ?2",
    )?;
    let rows = stmt.query_map(params![org.as_str(), gtin], |r| r.get(0))?;
    let mut accounts: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
    accounts.extend(
        owners
            .iter()
            .filter(|o| !o.is_empty())
            .map(|o| (*o).to_owned()),
    );
    Ok(accounts)
}

type Touched = Option<Vec<String>>;

fn upsert_store(tx: &Transaction<'_>, org: &OrgId, r: &StoreRow) -> rusqlite::Result<Touched> {
    let (lat, lon) = r.geo.map_or((None, None), |(a, o)| (Some(a), Some(o)));
    let old: Option<StoreRow> = tx
        .prepare_cached(
            "SELECT name, chain, format, address, region, lat, lon, cluster FROM ref_stores
             WHERE org_id = ?1 AND code = ?2",
        )?
        .query_row(params![org.as_str(), r.code], |row| {
            let lat: Option<f64> = row.get(5)?;
            let lon: Option<f64> = row.get(6)?;
            Ok(StoreRow {
                code: r.code.clone(),
                name: row.get(0)?,
                chain: row.get(1)?,
                format: row.get(2)?,
                address: row.get(3)?,
                region: row.get(4)?,
                geo: lat.zip(lon),
                cluster: row.get(7)?,
            })
        })
        .optional()?;
    if old.as_ref() == Some(r) {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO ref_stores
             (org_id, code, name, chain, format, address, region, lat, lon, cluster)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        org.as_str(),
        r.code,
        r.name,
        r.chain,
        r.format,
        r.address,
        r.region,
        lat,
        lon,
        r.cluster
    ])?;
    let old_cluster = old.map(|o| o.cluster).unwrap_or_default();
    accounts_of_store(tx, org, &r.code, [&old_cluster, &r.cluster]).map(Some)
}

fn upsert_product(tx: &Transaction<'_>, org: &OrgId, r: &ProductRow) -> rusqlite::Result<Touched> {
    let owner = r.owner.as_ref().map_or("", AccountId::as_str);
    let old: Option<(String, String, String, String)> = tx
        .prepare_cached(
            "SELECT name, brand, category, owner_account FROM ref_products
             WHERE org_id = ?1 AND gtin = ?2",
        )?
        .query_row(params![org.as_str(), r.gtin], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    let new = (
        r.name.clone(),
        r.brand.clone(),
        r.category.clone(),
        owner.to_owned(),
    );
    if old.as_ref() == Some(&new) {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO ref_products (org_id, gtin, name, brand, category, owner_account)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        org.as_str(),
        r.gtin,
        r.name,
        r.brand,
        r.category,
        owner
    ])?;
    let old_owner = old.map(|o| o.3).unwrap_or_default();
    accounts_of_product(tx, org, &r.gtin, [&old_owner, owner]).map(Some)
}

/// The two scope columns of an assortment row.
pub(crate) fn scope_columns(scope: &Scope) -> (&str, &str) {
    match scope {
        Scope::Store(code) => (code.as_str(), ""),
        Scope::Cluster(name) => ("", name.as_str()),
    }
}

fn upsert_assortment(
    tx: &Transaction<'_>,
    org: &OrgId,
    r: &AssortmentRow,
) -> rusqlite::Result<Touched> {
    let (store, cluster) = scope_columns(&r.scope);
    let price = r.target_price.as_ref().map(|m| m.amount_minor);
    let currency = r.target_price.as_ref().map(|m| m.currency.code());
    type Stored = (bool, Option<i64>, Option<i64>, Option<String>);
    let old: Option<Stored> = tx
        .prepare_cached(
            "SELECT must_stock, target_facings, target_price, currency FROM ref_assortments
             WHERE org_id = ?1 AND account_id = ?2 AND store_code = ?3 AND cluster = ?4
               AND gtin = ?5",
        )?
        .query_row(
            params![org.as_str(), r.account.as_str(), store, cluster, r.gtin],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let new: Stored = (
        r.must_stock,
        r.target_facings,
        price,
        currency.map(str::to_owned),
    );
    if old.as_ref() == Some(&new) {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO ref_assortments (org_id, account_id, store_code, cluster, gtin,
             must_stock, target_facings, target_price, currency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        org.as_str(),
        r.account.as_str(),
        store,
        cluster,
        r.gtin,
        r.must_stock,
        r.target_facings,
        price,
        currency
    ])?;
    Ok(Some(vec![r.account.to_string()]))
}

fn upsert_contact(tx: &Transaction<'_>, org: &OrgId, r: &ContactRow) -> rusqlite::Result<Touched> {
    let old: Option<(String, String, String)> = tx
        .prepare_cached(
            "SELECT name, title, email FROM ref_contacts
             WHERE org_id = ?1 AND account_id = ?2 AND id = ?3",
        )?
        .query_row(params![org.as_str(), r.account.as_str(), r.id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    if old == Some((r.name.clone(), r.title.clone(), r.email.clone())) {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO ref_contacts (org_id, account_id, id, name, title, email)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        org.as_str(),
        r.account.as_str(),
        r.id,
        r.name,
        r.title,
        r.email
    ])?;
    Ok(Some(vec![r.account.to_string()]))
}

fn upsert_plan(tx: &Transaction<'_>, org: &OrgId, r: &PlanRow) -> rusqlite::Result<Touched> {
    let p = &r.plan;
    type Stored = (
        String,
        Option<String>,
        String,
        u32,
        String,
        Option<String>,
        String,
    );
    let old: Option<Stored> = tx
        .prepare_cached(
            "SELECT user_id, store_code, weekday, every_weeks, starts_on, ends_on, note
             FROM ref_visit_plans WHERE org_id = ?1 AND account_id = ?2 AND id = ?3",
        )?
        .query_row(
            params![org.as_str(), r.account.as_str(), p.id.as_str()],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )
        .optional()?;
    let new: Stored = (
        r.user.to_string(),
        p.store_code.clone(),
        p.weekday.as_str().to_owned(),
        p.every_weeks,
        p.starts_on.clone(),
        p.ends_on.clone(),
        p.note.clone(),
    );
    if old.as_ref() == Some(&new) {
        return Ok(None);
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO ref_visit_plans (org_id, account_id, id, user_id, store_code,
             weekday, every_weeks, starts_on, ends_on, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        org.as_str(),
        r.account.as_str(),
        p.id.as_str(),
        new.0,
        new.1,
        new.2,
        new.3,
        new.4,
        new.5,
        new.6
    ])?;
    Ok(Some(vec![r.account.to_string()]))
}
