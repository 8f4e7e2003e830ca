//! An account's [`Catalog`] as the tables say it should be: its assortment (a store's own row
//! overrides its cluster's), the stores of that assortment and of its visit plans, the products
//! of the assortment and the account's own, its contacts and its visit plans. Version and time
//! are left for `publish`, which bumps them only when the content changed.

use std::collections::BTreeMap;

use enlace_core::ids::EntityId;
use enlace_core::model::Catalog;
use enlace_core::model::catalog::{CatalogProduct, CatalogStore, Contact, Target, VisitPlan};
use enlace_core::model::common::GeoPoint;
use enlace_core::model::{Money, catalog::Weekday};
use rusqlite::{Connection, params};

use super::ReferenceError;
use crate::directory::{AccountId, OrgId};

fn entity(s: &str) -> Result<EntityId, ReferenceError> {
    s.parse()
        .map_err(|_| ReferenceError::Corrupt(format!("{s:?} is not an entity id")))
}

/// The catalog of `account` of `org` (version 0, time 0), read in one transaction.
pub(crate) fn project(
    conn: &mut Connection,
    org: &OrgId,
    account: &AccountId,
) -> Result<Catalog, ReferenceError> {
    let tx = conn.transaction()?;
    let o = org.as_str();
    let a = account.as_str();
    let mut catalog = Catalog::new(Catalog::id_for(o, a), entity(a)?);

    // Assortment: cluster rows first, then each store's own rows over them. Two joins, each
    // on an index (a join on "code or cluster" scans every store for every row).
    let mut stmt = tx.prepare_cached(
        "SELECT s.code, r.gtin, r.must_stock, r.target_facings, r.target_price, r.currency,
                0 AS own
         FROM ref_assortments r
         JOIN ref_stores s ON s.org_id = r.org_id AND s.cluster = r.cluster
         WHERE r.org_id = ?1 AND r.account_id = ?2 AND r.cluster <> ''
         UNION ALL
         SELECT r.store_code, r.gtin, r.must_stock, r.target_facings, r.target_price, r.currency,
                1 AS own
         FROM ref_assortments r
         JOIN ref_stores s ON s.org_id = r.org_id AND s.code = r.store_code
         WHERE r.org_id = ?1 AND r.account_id = ?2 AND r.store_code <> ''
         ORDER BY own",
    )?;
    let mut rows = stmt.query(params![o, a])?;
    while let Some(row) = rows.next()? {
        let (code, gtin): (String, String) = (row.get(0)?, row.get(1)?);
        let price: Option<i64> = row.get(4)?;
        let currency: Option<String> = row.get(5)?;
        let target_price = match (price, currency) {
            (Some(amount), Some(code)) => Some(
                Money::new(amount, &code)
                    .map_err(|e| ReferenceError::Corrupt(format!("a stored price: {e}")))?,
            ),
            _ => None,
        };
        let target = Target {
            must_stock: row.get(2)?,
            target_facings: row.get(3)?,
            target_price,
        };
        catalog
            .assortment
            .entry(code)
            .or_default()
            .insert(gtin, target);
    }
    drop(rows);
    drop(stmt);

    let mut store_codes: Vec<String> = catalog.assortment.keys().cloned().collect();
    let mut stmt = tx.prepare_cached(
        "SELECT id, user_id, store_code, weekday, every_weeks, starts_on, ends_on, note
         FROM ref_visit_plans WHERE org_id = ?1 AND account_id = ?2",
    )?;
    let mut rows = stmt.query(params![o, a])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let user: String = row.get(1)?;
        let store_code: Option<String> = row.get(2)?;
        let weekday: String = row.get(3)?;
        let plan = VisitPlan {
            id: entity(&id)?,
            user_id: entity(&user)?,
            store_code: store_code.clone(),
            weekday: Weekday::parse(&weekday)
                .ok_or_else(|| ReferenceError::Corrupt(format!("weekday {weekday:?}")))?,
            every_weeks: row.get(4)?,
            starts_on: row.get(5)?,
            ends_on: row.get(6)?,
            note: row.get(7)?,
        };
        store_codes.extend(store_code);
        catalog.visit_plans.insert(id, plan);
    }
    drop(rows);
    drop(stmt);

    let mut stmt = tx.prepare_cached(
        "SELECT name, chain, format, address, region, lat, lon FROM ref_stores
         WHERE org_id = ?1 AND code = ?2",
    )?;
    for code in store_codes {
        if catalog.stores.contains_key(&code) {
            continue;
        }
        // The store's id is its code: unique in the organisation, and stable.
        let id = entity(&code)?;
        let store = stmt.query_row(params![o, code], |row| {
            let lat: Option<f64> = row.get(5)?;
            let lon: Option<f64> = row.get(6)?;
            Ok(CatalogStore {
                id,
                code: code.clone(),
                name: row.get(0)?,
                chain: row.get(1)?,
                format: row.get(2)?,
                address: row.get(3)?,
                region: row.get(4)?,
                geo: lat.zip(lon).map(|(lat, lon)| GeoPoint {
                    lat,
                    lon,
                    accuracy_m: None,
                }),
            })
        })?;
        catalog.stores.insert(code, store);
    }
    drop(stmt);

    let mut gtins: Vec<String> = catalog
        .assortment
        .values()
        .flat_map(BTreeMap::keys)
        .cloned()
        .collect();
    gtins.sort();
    gtins.dedup();
    let mut stmt = tx.prepare_cached(
        "SELECT name, brand, category, owner_account FROM ref_products
         WHERE org_id = ?1 AND gtin = ?2",
    )?;
    for gtin in gtins {
        let product = stmt.query_row(params![o, gtin], |row| {
            Ok(CatalogProduct {
                gtin: gtin.clone(),
                name: row.get(0)?,
                brand: row.get(1)?,
                category: row.get(2)?,
                is_own: row.get::<_, String>(3)? == a,
            })
        })?;
        catalog.products.insert(gtin, product);
    }
    drop(stmt);
    let mut stmt = tx.prepare_cached(
        "SELECT gtin, name, brand, category FROM ref_products
         WHERE org_id = ?1 AND owner_account = ?2",
    )?;
    let mut rows = stmt.query(params![o, a])?;
    while let Some(row) = rows.next()? {
        let gtin: String = row.get(0)?;
        let product = CatalogProduct {
            gtin: gtin.clone(),
            name: row.get(1)?,
            brand: row.get(2)?,
            category: row.get(3)?,
            is_own: true,
        };
        catalog.products.insert(gtin, product);
    }
    drop(rows);
    drop(stmt);

    let mut stmt = tx.prepare_cached(
        "SELECT id, name, title, email FROM ref_contacts WHERE org_id = ?1 AND account_id = ?2",
    )?;
    let mut rows = stmt.query(params![o, a])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let contact = Contact {
            id: entity(&id)?,
            name: row.get(1)?,
            title: row.get(2)?,
            email: row.get(3)?,
        };
        catalog.contacts.insert(id, contact);
    }
    drop(rows);
    drop(stmt);
    tx.commit()?;
    Ok(catalog)
}
