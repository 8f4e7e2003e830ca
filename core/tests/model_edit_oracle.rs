//! The targeted edit path against the old one: random storecheck edit sequences applied through
//! `Store::edit` (operations on the parts that change, value kept in the cache) give the same
//! document as applying them to the typed value and reconciling the whole value
//! (`write_document`), refuse the same edits, and leave the cached value equal to a fresh
//! hydrate. Plus atomicity of a batch and the merge rules across two replicas.
#![allow(clippy::unwrap_used)]

use automerge::AutoCommit;
use enlace_core::DocumentId;
use enlace_core::model::edit::{Editable, TextEdit, ValueTarget};
use enlace_core::model::storecheck::{
    Expected, IssueType, Planogram, PopCondition, Presence, PriceTag, ProductSnapshot, Promo,
    Severity, ShelfLevel, ShelfLocation, StoreSnapshot, StorecheckEdit as E, StorecheckStatus,
};
use enlace_core::model::{
    self, CheckIn, Money, PhotoKind, PhotoRef, Storecheck, hydrate_document, load_document,
};
use enlace_core::store::{Store, StoreError};
use proptest::prelude::*;

#[path = "support/model.rs"]
mod support;
use support::{clp, eid, santiago};

fn base() -> Storecheck {
    Storecheck::new(
        DocumentId::new_random(),
        eid("acc-vina"),
        eid("user-ana"),
        santiago(1_700_000_000_000),
        StoreSnapshot {
            id: eid("store-42"),
            code: "J042".into(),
            name: "Jumbo Costanera".into(),
            chain: "Jumbo".into(),
            format: "hiper".into(),
        },
        "2024-05",
    )
}

fn product(n: u8) -> ProductSnapshot {
    ProductSnapshot {
        gtin: format!("780{n}"),
        name: format!("Cabernet {n}"),
        brand: "Viña Sur".into(),
        is_own: true,
    }
}

fn photo(n: u8) -> PhotoRef {
    PhotoRef {
        id: eid(&format!("ph{n}")),
        sha256: format!("{:064x}", n),
        mime: "image/jpeg".into(),
        bytes: 1000,
        width: 10,
        height: 10,
        taken_at: None,
        geo: None,
        kind: PhotoKind::Shelf,
        caption: String::new(),
        deleted: false,
    }
}

// Small key spaces so edits hit existing entries, missing ones and duplicates alike.
fn key(prefix: &'static str) -> impl Strategy<Value = String> {
    (0u8..4).prop_map(move |n| format!("{prefix}{n}"))
}

fn money() -> impl Strategy<Value = Option<Money>> {
    prop_oneof![Just(None), (-5i64..50_000).prop_map(|n| Some(clp(n)))]
}

fn facings() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (-3i64..40).prop_map(Some)]
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    (0u32..12, 0u32..4, "[a-zñé😀 ]{0,6}").prop_map(|(start, delete, insert)| TextEdit {
        start,
        delete,
        insert,
    })
}

fn edit() -> impl Strategy<Value = E> {
    prop_oneof![
        (key("p"), 0u8..3).prop_map(|(key, n)| E::AddLine {
            key,
            product: product(n),
            expected: Expected {
                must_stock: true,
                target_facings: Some(4),
                target_price: Some(clp(4990)),
            },
        }),
        (key("p"), prop::sample::select(Presence::ALL.to_vec()))
            .prop_map(|(line, presence)| E::SetPresence { line, presence }),
        (key("p"), facings()).prop_map(|(line, facings)| E::SetFacings { line, facings }),
        (
            key("p"),
            prop::option::of(prop::sample::select(ShelfLevel::ALL.to_vec()))
        )
            .prop_map(|(line, level)| E::SetShelfLevel { line, level }),
        (
            key("p"),
            prop::option::of(prop::sample::select(ShelfLocation::ALL.to_vec()))
        )
            .prop_map(|(line, location)| E::SetLocation { line, location }),
        (
            key("p"),
            prop::option::of(prop::sample::select(Planogram::ALL.to_vec()))
        )
            .prop_map(|(line, planogram)| E::SetPlanogram { line, planogram }),
        (key("p"), money()).prop_map(|(line, price)| E::SetShelfPrice { line, price }),
        (
            key("p"),
            prop::option::of(prop::sample::select(PriceTag::ALL.to_vec()))
        )
            .prop_map(|(line, price_tag)| E::SetPriceTag { line, price_tag }),
        (key("p"), money(), any::<bool>()).prop_map(|(line, price, active)| E::SetPromo {
            line,
            promo: Some(Promo {
                active,
                price,
                mechanic: "2x1".into(),
            }),
        }),
        (key("p"), prop::option::of("2026-0[1-9]-[0-3][0-9]|bad"))
            .prop_map(|(line, date)| E::SetExpiryNearest { line, date }),
        (key("p"), any::<bool>()).prop_map(|(line, deleted)| E::SetLineDeleted { line, deleted }),
        (key("p"), text_edit()).prop_map(|(line, edit)| E::EditLineNote { line, edit }),
        (key("c"), 0u8..3).prop_map(|(key, n)| E::AddCompetitorLine {
            key,
            product: product(n),
        }),
        (key("c"), facings()).prop_map(|(line, facings)| E::SetCompetitorFacings { line, facings }),
        (key("c"), money()).prop_map(|(line, price)| E::SetCompetitorShelfPrice { line, price }),
        (key("b"), facings()).prop_map(|(key, total_facings)| E::AddCategoryBlock {
            key,
            name: "Vino tinto".into(),
            total_facings,
        }),
        (key("b"), facings()).prop_map(|(block, total_facings)| E::SetCategoryFacings {
            block,
            total_facings,
        }),
        (key("m"), any::<bool>()).prop_map(|(key, expected)| E::AddPopItem {
            key,
            name: "Wobbler".into(),
            expected,
        }),
        (key("m"), prop::option::of(any::<bool>()))
            .prop_map(|(item, present)| E::SetPopPresent { item, present }),
        (
            key("m"),
            prop::option::of(prop::sample::select(PopCondition::ALL.to_vec()))
        )
            .prop_map(|(item, condition)| E::SetPopCondition { item, condition }),
        (key("i"), prop::option::of(key("p"))).prop_map(|(key, line)| E::RaiseIssue {
            key,
            issue_type: IssueType::Oos,
            severity: Severity::High,
            line,
            description: "Quiebre".into(),
        }),
        (key("i"), text_edit()).prop_map(|(issue, edit)| E::EditIssueDescription { issue, edit }),
        (key("i"), any::<bool>())
            .prop_map(|(issue, deleted)| E::SetIssueDeleted { issue, deleted }),
        (0u8..3, prop::option::of(key("p"))).prop_map(|(n, line)| E::AddPhoto {
            photo: photo(n),
            line,
        }),
        (0u8..4).prop_map(|n| E::SetPhotoCaption {
            photo: format!("ph{n}"),
            caption: "Góndola".into(),
        }),
        Just(E::CheckIn {
            check_in: CheckIn {
                at: santiago(1_700_000_100_000),
                geo: None,
                method: model::rules::CheckInMethod::Manual,
                manual_reason: Some("sin señal".into()),
            },
        }),
        Just(E::Submit),
        prop::sample::select(StorecheckStatus::ALL.to_vec()).prop_map(|to| E::SetStatus { to }),
        text_edit().prop_map(|edit| E::EditGeneralNotes { edit }),
        any::<bool>().prop_map(|deleted| E::SetDeleted { deleted }),
    ]
}

/// The old path: the edit on a copy of the value, then the whole value reconciled.
fn apply_old(doc: &mut AutoCommit, value: &mut Storecheck, edit: &E) -> bool {
    let mut after = value.clone();
    if Storecheck::apply(edit, &mut ValueTarget::new(&mut after)).is_err() {
        return false;
    }
    model::write_document(doc, value, &after).unwrap();
    doc.commit();
    *value = hydrate_document(doc).unwrap();
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn targeted_edits_match_the_full_reconcile(edits in prop::collection::vec(edit(), 1..40)) {
        let store = Store::open_in_memory().unwrap();
        let value = base();
        let id = store.create(&value).unwrap();
        let mut old_doc = load_document(&store.load_raw(id).unwrap().unwrap().save()).unwrap();
        let mut old_value = value;
        for edit in &edits {
            let new_ok = match store.edit::<Storecheck>(id, std::slice::from_ref(edit)) {
                Ok(()) => true,
                Err(StoreError::InvalidValue(_)) => false,
                Err(other) => panic!("{edit:?}: unexpected {other:?}"),
            };
            let old_ok = apply_old(&mut old_doc, &mut old_value, edit);
            prop_assert_eq!(new_ok, old_ok, "{:?} accepted by one path only", edit);
        }
        let stored = store.load_raw(id).unwrap().unwrap();
        prop_assert_eq!(model::to_json(&stored).unwrap(), model::to_json(&old_doc).unwrap());
        // The cache's value is what a fresh hydrate of the stored document gives.
        let fresh: Storecheck = hydrate_document(&stored).unwrap();
        prop_assert_eq!(store.get::<Storecheck>(id).unwrap(), fresh.clone());
        // And survives a cold reload.
        store.set_cache_budget(0);
        prop_assert_eq!(store.get::<Storecheck>(id).unwrap(), fresh);
    }

    #[test]
    fn a_batch_is_one_change_or_nothing(edits in prop::collection::vec(edit(), 1..20)) {
        let store = Store::open_in_memory().unwrap();
        let id = store.create(&base()).unwrap();
        let heads = store.heads(id).unwrap().unwrap();
        let before = store.get::<Storecheck>(id).unwrap();
        match store.edit::<Storecheck>(id, &edits) {
            Ok(()) => {
                let mut doc = store.load_raw(id).unwrap().unwrap();
                let after = store.heads(id).unwrap().unwrap();
                if after != heads {
                    // One new change on top of the creation.
                    prop_assert_eq!(doc.get_changes(&heads).len(), 1);
                }
            }
            Err(StoreError::InvalidValue(_)) => {
                prop_assert_eq!(store.heads(id).unwrap().unwrap(), heads);
                prop_assert_eq!(store.get::<Storecheck>(id).unwrap(), before);
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

fn line(key: &str) -> E {
    E::AddLine {
        key: key.into(),
        product: product(1),
        expected: Expected {
            must_stock: true,
            target_facings: Some(6),
            target_price: Some(clp(4990)),
        },
    }
}

#[test]
fn concurrent_edits_of_one_line_on_two_phones_both_survive() {
    let a = Store::open_in_memory().unwrap();
    let b = Store::open_in_memory().unwrap();
    let id = a.create(&base()).unwrap();
    a.edit::<Storecheck>(id, &[line("p1")]).unwrap();
    b.merge_from::<Storecheck>(id, &a.load_bytes(id).unwrap().unwrap())
        .unwrap();
    a.edit::<Storecheck>(
        id,
        &[E::SetFacings {
            line: "p1".into(),
            facings: Some(7),
        }],
    )
    .unwrap();
    b.edit::<Storecheck>(
        id,
        &[E::SetPresence {
            line: "p1".into(),
            presence: Presence::Present,
        }],
    )
    .unwrap();
    a.merge_from::<Storecheck>(id, &b.load_bytes(id).unwrap().unwrap())
        .unwrap();
    b.merge_from::<Storecheck>(id, &a.load_bytes(id).unwrap().unwrap())
        .unwrap();
    for store in [&a, &b] {
        let sc: Storecheck = store.get(id).unwrap();
        assert_eq!(sc.lines["p1"].facings, Some(7));
        assert_eq!(sc.lines["p1"].presence, Presence::Present);
    }
}

#[test]
fn a_merge_from_sync_makes_the_cached_value_stale() {
    let a = Store::open_in_memory().unwrap();
    let b = Store::open_in_memory().unwrap();
    let id = a.create(&base()).unwrap();
    b.merge_from::<Storecheck>(id, &a.load_bytes(id).unwrap().unwrap())
        .unwrap();
    // In use on `a` (cached), then edited on `b` and merged into `a` through the raw path.
    let _: Storecheck = a.get(id).unwrap();
    b.edit::<Storecheck>(id, &[line("p9")]).unwrap();
    a.merge_from::<Storecheck>(id, &b.load_bytes(id).unwrap().unwrap())
        .unwrap();
    assert!(a.get::<Storecheck>(id).unwrap().lines.contains_key("p9"));
    a.edit::<Storecheck>(
        id,
        &[E::SetFacings {
            line: "p9".into(),
            facings: Some(2),
        }],
    )
    .unwrap();
    assert_eq!(
        a.get::<Storecheck>(id).unwrap().lines["p9"].facings,
        Some(2)
    );
}

#[test]
fn two_store_handles_on_one_file_never_serve_each_other_stale_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let one = Store::open(&path).unwrap();
    let two = Store::open(&path).unwrap();
    let id = one.create(&base()).unwrap();
    let _: Storecheck = two.get(id).unwrap();
    one.edit::<Storecheck>(id, &[line("p1")]).unwrap();
    assert!(two.get::<Storecheck>(id).unwrap().lines.contains_key("p1"));
    two.edit::<Storecheck>(id, &[line("p2")]).unwrap();
    let sc: Storecheck = one.get(id).unwrap();
    assert!(sc.lines.contains_key("p1") && sc.lines.contains_key("p2"));
}

#[test]
fn refusals_are_typed() {
    use enlace_core::model::ModelError;
    let store = Store::open_in_memory().unwrap();
    let id = store.create(&base()).unwrap();
    let refused = |edit: E| match store.edit::<Storecheck>(id, &[edit]) {
        Err(StoreError::InvalidValue(e)) => *e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(matches!(
        refused(E::SetFacings {
            line: "nope".into(),
            facings: Some(1)
        }),
        ModelError::NotFound { what: "line", .. }
    ));
    store.edit::<Storecheck>(id, &[line("p1")]).unwrap();
    assert!(matches!(
        refused(line("p1")),
        ModelError::AlreadyExists { what: "line", .. }
    ));
    assert!(matches!(
        refused(E::SetFacings {
            line: "p1".into(),
            facings: Some(-1)
        }),
        ModelError::InvalidValue { .. }
    ));
    assert!(matches!(
        refused(E::SetStatus {
            to: StorecheckStatus::Reviewed
        }),
        ModelError::ServerOnly { .. }
    ));
    assert!(matches!(
        refused(E::EditGeneralNotes {
            edit: TextEdit {
                start: 99,
                delete: 0,
                insert: "x".into()
            }
        }),
        ModelError::TextPosition(_)
    ));
}

#[test]
fn an_issue_and_its_action_item_are_stored_together_or_not_at_all() {
    use enlace_core::model::ActionItem;
    use enlace_core::model::action_item::{Source, SourceKind};
    let store = Store::open_in_memory().unwrap();
    let id = store.create(&base()).unwrap();
    store.edit::<Storecheck>(id, &[line("p1")]).unwrap();
    let item = |title: &str| {
        let mut a = ActionItem::new(
            DocumentId::new_random(),
            eid("user-ana"),
            santiago(1_700_000_200_000),
            Source {
                kind: SourceKind::Storecheck,
                doc_id: Some(id),
            },
            title,
            eid("user-luis"),
        );
        a.account_id = Some(eid("acc-vina"));
        a
    };
    let first = item("Reponer");
    let edits = E::raise_issue_with_action_item(
        "i1",
        IssueType::Oos,
        Severity::High,
        Some("p1".into()),
        "Quiebre".into(),
        first.id,
    );
    store
        .edit_creating::<Storecheck, ActionItem>(id, &first, &edits)
        .unwrap();
    let sc: Storecheck = store.get(id).unwrap();
    assert_eq!(sc.issues["i1"].action_item_id, Some(first.id));
    assert_eq!(store.get::<ActionItem>(first.id).unwrap().title, "Reponer");

    // The issue is refused (unknown line): the action item is not stored either.
    let second = item("Otro");
    let heads = store.heads(id).unwrap();
    let edits = E::raise_issue_with_action_item(
        "i2",
        IssueType::Oos,
        Severity::Low,
        Some("nope".into()),
        "Quiebre".into(),
        second.id,
    );
    assert!(matches!(
        store.edit_creating::<Storecheck, ActionItem>(id, &second, &edits),
        Err(StoreError::InvalidValue(_))
    ));
    assert!(matches!(
        store.get::<ActionItem>(second.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.heads(id).unwrap(), heads);
    assert_eq!(store.document_count().unwrap(), 2);
}

#[test]
fn one_line_reads_the_same_cold_and_warm() {
    use enlace_core::model::storecheck::LINES;
    let store = Store::open_in_memory().unwrap();
    let id = store.create(&base()).unwrap();
    store
        .edit::<Storecheck>(
            id,
            &[
                line("p1"),
                E::SetFacings {
                    line: "p1".into(),
                    facings: Some(9),
                },
            ],
        )
        .unwrap();
    let warm = store.read_entry(id, LINES, "p1").unwrap();
    store.set_cache_budget(0);
    let cold = store.read_entry(id, LINES, "p1").unwrap();
    assert_eq!(warm, cold);
    assert_eq!(cold.unwrap().facings, Some(9));
    assert_eq!(store.read_entry(id, LINES, "nope").unwrap(), None);
    assert!(matches!(
        store.read_entry(DocumentId::new_random(), LINES, "p1"),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn a_cold_read_never_serves_a_value_older_than_the_document() {
    let a = Store::open_in_memory().unwrap();
    let b = Store::open_in_memory().unwrap();
    let id = a.create(&base()).unwrap();
    a.edit::<Storecheck>(id, &[line("p1")]).unwrap();
    b.merge_from::<Storecheck>(id, &a.load_bytes(id).unwrap().unwrap())
        .unwrap();
    b.edit::<Storecheck>(id, &[line("p9")]).unwrap();
    // `a` holds a value snapshot of its own last edit; the merge moves the document past it.
    a.merge_from::<Storecheck>(id, &b.load_bytes(id).unwrap().unwrap())
        .unwrap();
    a.set_cache_budget(0);
    let cold: Storecheck = a.get(id).unwrap();
    assert!(cold.lines.contains_key("p1") && cold.lines.contains_key("p9"));
    let fresh: Storecheck = hydrate_document(&a.load_raw(id).unwrap().unwrap()).unwrap();
    assert_eq!(cold, fresh);
    // After the next edit the snapshot is current again and equals the document.
    a.edit::<Storecheck>(id, &[line("p2")]).unwrap();
    let cold: Storecheck = a.get(id).unwrap();
    let fresh: Storecheck = hydrate_document(&a.load_raw(id).unwrap().unwrap()).unwrap();
    assert_eq!(cold, fresh);
}
