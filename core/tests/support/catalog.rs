//! A catalog document as the server writes one, built in memory for tests and benchmarks.
#![allow(dead_code)]

use std::collections::BTreeMap;

use enlace_core::EntityId;
use enlace_core::model::Catalog;
use enlace_core::model::Money;
use enlace_core::model::catalog::{CatalogProduct, CatalogStore, Contact, Target};

/// Categories products cycle through.
pub const CATEGORIES: [&str; 3] = ["Galletas", "Bebidas", "Snacks"];

/// The GTIN-13 of product `i`.
pub fn gtin(i: usize) -> String {
    format!("780{i:010}")
}

/// The code of store `i`.
pub fn store_code(i: usize) -> String {
    format!("S{i:05}")
}

/// Whether product `i` is the account's own (three in four are).
pub fn is_own(i: usize) -> bool {
    i % 4 != 3
}

/// The target of the `j`-th product of a store's assortment.
pub fn target(j: usize) -> Target {
    Target {
        must_stock: j.is_multiple_of(2),
        target_facings: Some((j % 5 + 1) as i64),
        target_price: Some(Money::new(990 + 10 * j as i64, "CLP").expect("money")),
    }
}

/// A catalog of account `account` (organisation `acme`) at version 1 with `stores` stores,
/// `products` products (product 0 is "Galletas Tritón") and `per_store` assortment rows per
/// store, plus two contacts.
pub fn catalog(account: &str, stores: usize, products: usize, per_store: usize) -> Catalog {
    assert!(
        per_store <= products,
        "an assortment row per product at most"
    );
    let account_id: EntityId = account.parse().expect("account id");
    let mut c = Catalog::new(Catalog::id_for("acme", account), account_id);
    c.version = 1;
    c.updated_ms = 1_765_000_000_000;
    for i in 0..products {
        let name = match i {
            0 => "Galletas Tritón".to_owned(),
            _ => format!("Producto {i}"),
        };
        let product = CatalogProduct {
            gtin: gtin(i),
            name,
            brand: if is_own(i) { "McKay" } else { "Costa" }.to_owned(),
            category: CATEGORIES[i % CATEGORIES.len()].to_owned(),
            is_own: is_own(i),
        };
        c.products.insert(gtin(i), product);
    }
    for s in 0..stores {
        let code = store_code(s);
        let store = CatalogStore {
            id: format!("store-{s}").parse().expect("id"),
            code: code.clone(),
            name: format!("{account} Jumbo {s:05}"),
            chain: "Jumbo".into(),
            format: "hiper".into(),
            address: format!("Avenida {s}"),
            region: "RM".into(),
            geo: None,
        };
        c.stores.insert(code.clone(), store);
        let rows: BTreeMap<String, Target> = (0..per_store)
            .map(|j| (gtin((s * 7 + j) % products), target(j)))
            .collect();
        c.assortment.insert(code, rows);
    }
    for (id, name, email) in [
        ("c-1", "Ñuño Pérez", "nuno@cliente.cl"),
        ("c-2", "Ana Soto", "ana@cliente.cl"),
    ] {
        let contact = Contact {
            id: id.parse().expect("id"),
            name: name.into(),
            title: "Brand Manager".into(),
            email: email.into(),
        };
        c.contacts.insert(id.into(), contact);
    }
    c
}
