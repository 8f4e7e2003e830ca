//! A meeting note or an action item created without an account is refused with
//! `EnlaceError::InvalidValue` on `account_id` (core's `Store::create` rule: the server refuses a
//! document without an account), and nothing is stored.

use enlace_mobile::action_item::{NewActionItem, SourceKind};
use enlace_mobile::meeting_note::{MeetingKind, NewMeetingNote};
use enlace_mobile::values::Instant;
use enlace_mobile::{EnlaceError, EnlaceStore};

fn now() -> Instant {
    Instant {
        utc_ms: 1_700_000_000_000,
        zone: "America/Santiago".into(),
    }
}

fn assert_no_account(result: Result<String, EnlaceError>) {
    match result {
        Err(EnlaceError::InvalidValue { field, reason }) => {
            assert_eq!(field, "account_id");
            assert!(reason.contains("needs an account to sync"), "{reason}");
        }
        other => panic!("expected InvalidValue on account_id, got {other:?}"),
    }
}

#[test]
fn creating_without_an_account_is_an_invalid_value_and_stores_nothing() {
    let store = EnlaceStore::open_in_memory().expect("open");
    let note = NewMeetingNote {
        created_by: "user-ana".into(),
        created_at: now(),
        meeting_kind: MeetingKind::ClientMeeting,
        title: "Revisión de marca".into(),
        account_id: None,
    };
    let item = NewActionItem {
        created_by: "user-ana".into(),
        created_at: now(),
        source_kind: SourceKind::Manual,
        source_doc_id: None,
        account_id: None,
        title: "Enviar propuesta".into(),
        owner: "user-luis".into(),
    };
    assert_no_account(store.create_meeting_note(note.clone()));
    assert_no_account(store.create_action_item(item.clone()));
    assert!(store.list(None).expect("list").is_empty());

    let note = NewMeetingNote {
        account_id: Some("acc-vina".into()),
        ..note
    };
    let item = NewActionItem {
        account_id: Some("acc-vina".into()),
        ..item
    };
    store
        .create_meeting_note(note)
        .expect("note with an account");
    store
        .create_action_item(item)
        .expect("item with an account");
    assert_eq!(store.list(None).expect("list").len(), 2);
}
