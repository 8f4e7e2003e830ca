//! The schema migration path seen from the outside: an empty (v0) file is upgraded to the current
//! schema; a file from a newer version is refused without being touched.

mod store_support;

use enlace_core::store::{SCHEMA_VERSION, Store, StoreError};
use store_support::Note;

fn user_version(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

#[test]
fn empty_v0_file_is_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    // A v0 file: SQLite database with nothing in it.
    rusqlite::Connection::open(&path)
        .expect("create")
        .execute_batch("CREATE TABLE unrelated (x); DROP TABLE unrelated;")
        .expect("touch");
    assert_eq!(user_version(&path), 0);

    let store = Store::open(&path).expect("open upgrades");
    let id = store.create(&Note::new("acme", 0, "n")).expect("create");
    drop(store);
    assert_eq!(user_version(&path), i64::from(SCHEMA_VERSION));
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.get::<Note>(id).expect("get").title, "n");
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    drop(Store::open(&path).expect("create"));
    rusqlite::Connection::open(&path)
        .expect("open")
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::Corrupt { .. })
    ));
    assert_eq!(user_version(&path), i64::from(SCHEMA_VERSION + 1));
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("enlace.db");
    std::fs::write(&path, b"this is not sqlite, just some bytes on a phone").expect("write");
    assert!(matches!(Store::open(&path), Err(StoreError::Sqlite(_))));
}
