use super::plan::{civil_of, day_number};
use super::*;

fn plan(weekday: Weekday, every_weeks: u32, starts_on: &str) -> VisitPlan {
    VisitPlan {
        id: "p1".parse().expect("id"),
        user_id: "ae".parse().expect("id"),
        store_code: Some("S1".into()),
        weekday,
        every_weeks,
        starts_on: starts_on.into(),
        ends_on: None,
        note: String::new(),
    }
}

#[test]
fn civil_dates_round_trip() {
    for date in [
        "1970-01-01",
        "2000-02-29",
        "2026-12-07",
        "2100-03-01",
        "1969-12-31",
    ] {
        let n = day_number(date).expect(date);
        assert_eq!(civil_of(n), date);
    }
    assert_eq!(day_number("1970-01-01"), Some(0));
    for bad in [
        "2026-02-29",
        "2026-13-01",
        "2026-1-01",
        "x",
        "2026-01-01-01",
        "",
    ] {
        assert_eq!(day_number(bad), None, "{bad}");
    }
}

#[test]
fn a_fortnightly_plan_falls_every_other_week_from_its_start() {
    // 2026-12-07 is a Monday.
    let p = plan(Weekday::Wednesday, 2, "2026-12-07");
    assert_eq!(
        p.date_in_week_of("2026-12-10").as_deref(),
        Some("2026-12-09")
    );
    assert_eq!(p.date_in_week_of("2026-12-14"), None);
    assert_eq!(
        p.date_in_week_of("2026-12-25").as_deref(),
        Some("2026-12-23")
    );
    assert_eq!(p.date_in_week_of("2026-11-30"), None, "before it starts");
    let once = plan(Weekday::Friday, 0, "2026-12-08");
    assert_eq!(
        once.date_in_week_of("2026-12-07").as_deref(),
        Some("2026-12-11")
    );
    assert_eq!(once.date_in_week_of("2026-12-14"), None);
    let mut ended = plan(Weekday::Monday, 1, "2026-12-07");
    ended.ends_on = Some("2026-12-13".into());
    assert!(ended.date_in_week_of("2026-12-07").is_some());
    assert_eq!(ended.date_in_week_of("2026-12-14"), None);
}

#[test]
fn catalog_ids_are_stable_and_distinct() {
    let a = Catalog::id_for("acme", "acc-1");
    assert_eq!(a, Catalog::id_for("acme", "acc-1"));
    assert_ne!(a, Catalog::id_for("acme", "acc-2"));
    assert_ne!(a, Catalog::id_for("beta", "acc-1"));
    // The parts are length-prefixed: no two splits of the same text collide.
    assert_ne!(Catalog::id_for("ab", "c"), Catalog::id_for("a", "bc"));
}

#[test]
fn the_assortment_of_a_store_lists_its_products_and_targets() {
    let mut catalog = Catalog::new(Catalog::id_for("acme", "acc"), "acc".parse().expect("id"));
    catalog.products.insert(
        "7801".into(),
        CatalogProduct {
            gtin: "7801".into(),
            name: "Galletas Tritón".into(),
            brand: "McKay".into(),
            category: "Galletas".into(),
            is_own: true,
        },
    );
    let target = Target {
        must_stock: true,
        target_facings: Some(4),
        target_price: None,
    };
    let rows = BTreeMap::from([
        ("7801".to_owned(), target.clone()),
        ("9999".to_owned(), target),
    ]);
    catalog.assortment.insert("S1".into(), rows);
    let lines = catalog.assortment_of("S1");
    assert_eq!(lines.len(), 1, "a row without its product is skipped");
    assert_eq!(lines[0].product.name, "Galletas Tritón");
    assert!(catalog.assortment_of("S2").is_empty());
    assert_eq!(catalog.search_products("tritón", 10).len(), 1);
    assert_eq!(catalog.search_products("TRITON", 10).len(), 1);
    assert_eq!(catalog.search_products("MCKAY", 10).len(), 1);
    assert_eq!(catalog.search_products("780", 10).len(), 1);
    assert!(catalog.search_products("pepsi", 10).is_empty());
    catalog.validate().expect("valid");
}
