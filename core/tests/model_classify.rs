//! Classifying any automerge document by its root `kind` and `account_id`, as a server does
//! before it lets a document in: scalar strings (enlace) and text (a stock JavaScript client's
//! plain strings) both count; anything else is unclassifiable.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use enlace_core::model::{Classification, DocumentKind, MAX_ACCOUNT_ID_LEN, classify};

fn with(kind: Option<&str>, account: Option<&str>, as_text: bool) -> AutoCommit {
    let mut doc = AutoCommit::new();
    for (key, value) in [("kind", kind), ("account_id", account)] {
        let Some(value) = value else { continue };
        if as_text {
            let text = doc.put_object(ROOT, key, ObjType::Text).expect("text");
            doc.splice_text(&text, 0, 0, value).expect("splice");
        } else {
            doc.put(ROOT, key, value).expect("put");
        }
    }
    doc
}

#[test]
fn scalars_and_text_both_classify() {
    for as_text in [false, true] {
        let doc = with(Some("storecheck"), Some("acme"), as_text);
        assert_eq!(
            classify(&doc),
            Some(Classification {
                kind: DocumentKind::Storecheck,
                account_id: "acme".into()
            })
        );
    }
}

#[test]
fn missing_unknown_empty_or_oversized_fields_do_not() {
    let long = "a".repeat(MAX_ACCOUNT_ID_LEN + 1);
    for as_text in [false, true] {
        for (kind, account) in [
            (None, Some("acme")),
            (Some("storecheck"), None),
            (Some("poem"), Some("acme")),
            (Some("storecheck"), Some("")),
            (Some("storecheck"), Some(long.as_str())),
        ] {
            assert_eq!(
                classify(&with(kind, account, as_text)),
                None,
                "{kind:?} {account:?}"
            );
        }
    }
    let mut number = AutoCommit::new();
    number.put(ROOT, "kind", "storecheck").expect("put");
    number.put(ROOT, "account_id", 42).expect("put");
    assert_eq!(classify(&number), None);
    let mut map = AutoCommit::new();
    map.put(ROOT, "kind", "storecheck").expect("put");
    map.put_object(ROOT, "account_id", ObjType::Map)
        .expect("map");
    assert_eq!(classify(&map), None);
}
