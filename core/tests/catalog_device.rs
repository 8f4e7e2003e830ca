//! The catalogs on a phone, offline: stores, product search, contacts, the week's visit plan, a
//! storecheck made from a store's assortment, and a contact added to a contact report.
//!
//! The catalog is built and stored here the way it arrives from the server (`Store::create`
//! of the value; the server's authority check, not the store, is what refuses a phone's
//! catalog), and changed with `Store::update` as a later server change would.

#[path = "support/catalog.rs"]
mod catalog_support;

use catalog_support::{CATEGORIES, catalog, gtin, is_own, store_code};
use enlace_core::model::catalog::{VisitPlan, Weekday};
use enlace_core::model::meeting_note::{MeetingKind, RecipientReason};
use enlace_core::model::people::Party;
use enlace_core::model::{Catalog, Instant, MeetingNote, ModelError, Storecheck};
use enlace_core::store::{CatalogError, MAX_SEARCH_LIMIT, Store, StoreError};
use enlace_core::{DocumentId, EntityId};

fn id(s: &str) -> EntityId {
    s.parse().expect("entity id")
}

fn now() -> Instant {
    Instant::new(1_765_100_000_000, "America/Santiago").expect("instant")
}

/// A store holding the catalog of `acc-1` (5 stores, 100 products, 60 rows per store).
fn store_with_catalog() -> (Store, Catalog) {
    let store = Store::open_in_memory().expect("open");
    let c = catalog("acc-1", 5, 100, 60);
    store.create(&c).expect("catalog stored");
    (store, c)
}

#[test]
fn a_storecheck_from_an_assortment_has_one_line_per_row_in_one_change() {
    let (store, c) = store_with_catalog();
    let code = store_code(2);
    let sc_id = store
        .create_storecheck_from_assortment(&id("acc-1"), &code, id("exec-1"), now())
        .expect("created");
    let sc: Storecheck = store.get(sc_id).expect("read");
    assert_eq!(sc.account_id, id("acc-1"));
    assert_eq!(sc.catalog_version, "1");
    assert_eq!(sc.store, c.stores[&code].snapshot());
    assert_eq!(sc.lines.len() + sc.competitor_lines.len(), 60);
    let rows = &c.assortment[&code];
    for (gtin, target) in rows {
        let product = &c.products[gtin];
        if product.is_own {
            let line = &sc.lines[gtin];
            assert_eq!(line.product, product.snapshot());
            assert_eq!(line.expected, target.expected());
        } else {
            assert_eq!(sc.competitor_lines[gtin].product, product.snapshot());
            assert!(
                !sc.lines.contains_key(gtin),
                "a competitor's product is no own line"
            );
        }
    }
    assert!(sc.lines.values().all(|l| l.product.is_own));
    assert_eq!(sc.category_blocks.len(), CATEGORIES.len());
    for name in CATEGORIES {
        assert_eq!(sc.category_blocks[name].name, name);
        assert_eq!(sc.category_blocks[name].total_facings, None);
    }
    let mut doc = store.load_raw(sc_id).expect("load").expect("stored");
    assert_eq!(doc.get_changes(&[]).len(), 1, "one automerge change");
}

#[test]
fn an_old_storecheck_keeps_its_snapshot_when_the_catalog_changes() {
    let (store, c) = store_with_catalog();
    let account = id("acc-1");
    let code = store_code(0);
    let old = store
        .create_storecheck_from_assortment(&account, &code, id("exec-1"), now())
        .expect("created");
    let own = gtin(0);
    assert!(is_own(0) && c.assortment[&code].contains_key(&own));
    let old_name = c.products[&own].name.clone();
    let old_expected = c.assortment[&code][&own].expected();

    // The server renames the product, changes its target and the store, and bumps the version.
    store
        .update::<Catalog, _>(c.id, |c| {
            c.version = 2;
            c.products.get_mut(&own).expect("product").name = "Galletas Tritón Nuevas".into();
            let row = c.assortment.get_mut(&code).and_then(|r| r.get_mut(&own));
            row.expect("row").target_facings = Some(40);
            c.stores.get_mut(&code).expect("store").name = "Jumbo Renombrado".into();
            Ok(())
        })
        .expect("catalog changed");

    let before: Storecheck = store.get(old).expect("read");
    assert_eq!(before.catalog_version, "1");
    assert_eq!(before.lines[&own].product.name, old_name);
    assert_eq!(before.lines[&own].expected, old_expected);
    assert_eq!(before.store.name, c.stores[&code].name);

    let new = store
        .create_storecheck_from_assortment(&account, &code, id("exec-1"), now())
        .expect("created");
    let after: Storecheck = store.get(new).expect("read");
    assert_eq!(after.catalog_version, "2");
    assert_eq!(after.lines[&own].product.name, "Galletas Tritón Nuevas");
    assert_eq!(after.lines[&own].expected.target_facings, Some(40));
    assert_eq!(after.store.name, "Jumbo Renombrado");
}

#[test]
fn storechecks_from_an_unknown_store_an_empty_assortment_or_no_catalog_are_refused() {
    let (store, c) = store_with_catalog();
    let account = id("acc-1");
    let err = store
        .create_storecheck_from_assortment(&account, "NOPE", id("e"), now())
        .expect_err("unknown store");
    assert!(
        matches!(&err, CatalogError::UnknownStore { store_code, .. } if store_code == "NOPE"),
        "{err:?}"
    );
    let empty = store_code(4);
    store
        .update::<Catalog, _>(c.id, |c| {
            c.version += 1;
            c.assortment.remove(&empty);
            Ok(())
        })
        .expect("catalog changed");
    let err = store
        .create_storecheck_from_assortment(&account, &empty, id("e"), now())
        .expect_err("empty assortment");
    assert!(
        matches!(err, CatalogError::EmptyAssortment { .. }),
        "{err:?}"
    );
    let err = store
        .create_storecheck_from_assortment(&id("acc-2"), &store_code(0), id("e"), now())
        .expect_err("no catalog");
    assert!(matches!(err, CatalogError::NoCatalog { .. }), "{err:?}");
    assert!(store.catalog(&id("acc-2")).expect("read").is_none());
    let listed = store
        .list(&enlace_core::store::Query::new().kind(enlace_core::model::DocumentKind::Storecheck))
        .expect("list");
    assert!(listed.is_empty(), "a refused creation writes nothing");
}

#[test]
fn a_deleted_catalog_is_no_catalog() {
    let (store, c) = store_with_catalog();
    store.delete::<Catalog>(c.id).expect("deleted");
    assert!(store.catalog(&id("acc-1")).expect("read").is_none());
    assert!(matches!(
        store.contacts(&id("acc-1")),
        Err(CatalogError::NoCatalog { .. })
    ));
}

#[test]
fn products_are_found_by_name_with_or_without_accents_and_by_gtin() {
    let (store, c) = store_with_catalog();
    let account = id("acc-1");
    let search = |q: &str, limit| store.search_products(&account, q, limit).expect("search");
    assert_eq!(search("tritón", 10)[0].name, "Galletas Tritón");
    assert_eq!(search("TRITON", 10)[0].gtin, gtin(0));
    assert_eq!(search(&gtin(42), 10)[0].name, "Producto 42");
    assert_eq!(search("mckay", 5).len(), 5, "bounded by the limit");
    assert_eq!(search("", 200).len(), c.products.len());
    assert!(search("pepsi", 10).is_empty());
    for bad in [0, MAX_SEARCH_LIMIT + 1] {
        let err = store
            .search_products(&account, "x", bad)
            .expect_err("limit");
        assert!(
            matches!(err, CatalogError::BadInput { field: "limit", .. }),
            "{err:?}"
        );
    }
    let long = "x".repeat(2_000);
    assert!(matches!(
        store.search_products(&account, &long, 10),
        Err(CatalogError::BadInput { field: "query", .. })
    ));
    assert!(matches!(
        store.search_products(&id("acc-9"), "x", 10),
        Err(CatalogError::NoCatalog { .. })
    ));
}

#[test]
fn the_stores_of_every_account_on_the_phone_are_listed_by_name() {
    let store = Store::open_in_memory().expect("open");
    store.create(&catalog("zeta", 3, 10, 5)).expect("zeta");
    store.create(&catalog("alfa", 2, 10, 5)).expect("alfa");
    let stores = store.stores_of_my_accounts().expect("stores");
    let names: Vec<&str> = stores.iter().map(|s| s.store.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alfa Jumbo 00000",
            "alfa Jumbo 00001",
            "zeta Jumbo 00000",
            "zeta Jumbo 00001",
            "zeta Jumbo 00002"
        ]
    );
    assert_eq!(stores[0].account_id, id("alfa"));
    assert_eq!(stores[4].account_id, id("zeta"));
    assert!(
        Store::open_in_memory()
            .expect("open")
            .stores_of_my_accounts()
            .expect("none")
            .is_empty()
    );
}

fn plan(id_: &str, user: &str, store: Option<&str>, weekday: Weekday, every: u32) -> VisitPlan {
    VisitPlan {
        id: id(id_),
        user_id: id(user),
        store_code: store.map(str::to_owned),
        weekday,
        every_weeks: every,
        // 2026-12-07 is a Monday.
        starts_on: "2026-12-07".into(),
        ends_on: None,
        note: format!("plan {id_}"),
    }
}

#[test]
fn the_week_lists_my_planned_visits_by_date_across_accounts() {
    let store = Store::open_in_memory().expect("open");
    let mut a = catalog("acc-1", 2, 10, 5);
    let mut b = catalog("acc-2", 2, 10, 5);
    for p in [
        plan("p-fri", "me", Some("S00001"), Weekday::Friday, 1),
        plan("p-mon", "me", None, Weekday::Monday, 1),
        plan("p-other", "someone", Some("S00000"), Weekday::Tuesday, 1),
        plan("p-gone", "me", Some("GONE"), Weekday::Thursday, 1),
    ] {
        a.visit_plans.insert(p.id.to_string(), p);
    }
    for p in [
        plan("p-wed", "me", Some("S00000"), Weekday::Wednesday, 2),
        plan("p-once", "me", None, Weekday::Tuesday, 0),
    ] {
        b.visit_plans.insert(p.id.to_string(), p);
    }
    store.create(&a).expect("a");
    store.create(&b).expect("b");

    let week = store
        .visit_plan_week(&id("me"), "2026-12-09")
        .expect("week");
    let got: Vec<(&str, &str)> = week
        .iter()
        .map(|v| (v.date.as_str(), v.plan_id.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-12-07", "p-mon"),
            ("2026-12-08", "p-once"),
            ("2026-12-09", "p-wed"),
            ("2026-12-10", "p-gone"),
            ("2026-12-11", "p-fri"),
        ]
    );
    assert_eq!(week[0].store, None, "a client visit");
    assert_eq!(week[2].account_id, id("acc-2"));
    assert_eq!(week[2].store, Some(b.stores["S00000"].snapshot()));
    assert_eq!(week[3].store_code.as_deref(), Some("GONE"));
    assert_eq!(
        week[3].store, None,
        "a store the catalog lacks is kept, without snapshot"
    );
    assert_eq!(week[4].note, "plan p-fri");

    let next = store
        .visit_plan_week(&id("me"), "2026-12-14")
        .expect("week");
    let plans: Vec<&str> = next.iter().map(|v| v.plan_id.as_str()).collect();
    assert_eq!(
        plans,
        ["p-mon", "p-gone", "p-fri"],
        "fortnightly and one-off plans skip"
    );
    assert!(matches!(
        store.visit_plan_week(&id("me"), "2026-13-01"),
        Err(CatalogError::BadInput { field: "day", .. })
    ));
}

fn meeting_note(store: &Store, account: Option<&str>) -> DocumentId {
    let mut note = MeetingNote::new(
        DocumentId::new_random(),
        id("exec-1"),
        now(),
        MeetingKind::ClientMeeting,
        "Revisión mensual",
    );
    note.account_id = account.map(id);
    store.create(&note).expect("note")
}

#[test]
fn contacts_are_listed_by_name_and_go_into_a_distribution_list() {
    let (store, _) = store_with_catalog();
    let account = id("acc-1");
    let contacts = store.contacts(&account).expect("contacts");
    let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Ana Soto", "Ñuño Pérez"]);

    let note = meeting_note(&store, Some("acc-1"));
    let key = store
        .add_recipient_from_contact(note, &id("c-1"), RecipientReason::Attendee)
        .expect("added");
    assert_eq!(key, "c-1");
    let read: MeetingNote = store.get(note).expect("read");
    let recipient = &read.contact_report.distribution["c-1"];
    assert_eq!(recipient.name, "Ñuño Pérez");
    assert_eq!(recipient.email, "nuno@cliente.cl");
    assert_eq!(recipient.party, Party::Client);
    assert_eq!(recipient.reason, RecipientReason::Attendee);

    let twice = store
        .add_recipient_from_contact(note, &id("c-1"), RecipientReason::Superior)
        .expect_err("already there");
    let already = match &twice {
        CatalogError::Store(StoreError::InvalidValue(e)) => {
            matches!(**e, ModelError::AlreadyExists { .. })
        }
        _ => false,
    };
    assert!(already, "{twice:?}");
    let unknown = store
        .add_recipient_from_contact(note, &id("c-9"), RecipientReason::Attendee)
        .expect_err("unknown contact");
    assert!(
        matches!(unknown, CatalogError::UnknownContact { .. }),
        "{unknown:?}"
    );

    let elsewhere = meeting_note(&store, Some("acc-2"));
    assert!(matches!(
        store.add_recipient_from_contact(elsewhere, &id("c-1"), RecipientReason::Attendee),
        Err(CatalogError::NoCatalog { .. })
    ));
    let missing = DocumentId::new_random();
    assert!(matches!(
        store.add_recipient_from_contact(missing, &id("c-1"), RecipientReason::Attendee),
        Err(CatalogError::Store(StoreError::NotFound(_)))
    ));
}

#[test]
fn a_catalog_arriving_through_sync_is_read_and_its_changes_replace_the_cached_copy() {
    // The "server" writes the catalog; the phone only merges its bytes, as sync does.
    let server = Store::open_in_memory().expect("server");
    let phone = Store::open_in_memory().expect("phone");
    let c = catalog("acc-1", 3, 20, 10);
    server.create(&c).expect("stored");
    let send = |to: &Store| {
        let mut doc = server.load_raw(c.id).expect("load").expect("stored");
        to.merge_from::<Catalog>(c.id, &doc.save()).expect("merged");
    };
    send(&phone);
    let account = id("acc-1");
    let code = store_code(1);
    let first = phone
        .create_storecheck_from_assortment(&account, &code, id("exec-1"), now())
        .expect("created");
    assert_eq!(
        phone
            .get::<Storecheck>(first)
            .expect("read")
            .catalog_version,
        "1"
    );

    server
        .update::<Catalog, _>(c.id, |c| {
            c.version = 5;
            c.stores.get_mut(&code).expect("store").name = "Cambiado".into();
            Ok(())
        })
        .expect("changed");
    send(&phone);
    let second = phone
        .create_storecheck_from_assortment(&account, &code, id("exec-1"), now())
        .expect("created");
    let second: Storecheck = phone.get(second).expect("read");
    assert_eq!(
        second.catalog_version, "5",
        "the merged change, not the cached copy"
    );
    assert_eq!(second.store.name, "Cambiado");
    let first: Storecheck = phone.get(first).expect("read");
    assert_eq!(first.catalog_version, "1");
    assert_ne!(first.store.name, "Cambiado");
    assert_eq!(
        phone
            .catalog(&account)
            .expect("read")
            .expect("there")
            .version,
        5
    );
}
