//! The device sync client against an authenticated server: phones sync with their bearer
//! token, catch-up brings a fresh phone exactly the documents its user may see, and a phone with
//! a refused token says so and keeps its edits safe on the phone.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::client::{ClientConfig, SyncClient, SyncStatus};
use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::{ClientVisit, Instant};
use enlace_core::store::Store;
use enlace_tests::PATIENCE;
use enlace_tests::fixture;
use enlace_tests::process::ServerProcess;

const LONG: Duration = Duration::from_secs(90);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

fn config(url: &str, token: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url).with_token(token);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config.heartbeat_interval = Duration::from_secs(1);
    config.heartbeat_timeout = Duration::from_secs(4);
    config
}

fn visit(account: &str, by: &str, title: &str) -> ClientVisit {
    visit_with_id(DocumentId::new_random(), account, by, title)
}

fn visit_with_id(id: DocumentId, account: &str, by: &str, title: &str) -> ClientVisit {
    ClientVisit::new(
        id,
        account.parse().expect("id"),
        by.parse().expect("id"),
        Instant::new(1_700_000_000_000, "America/Santiago").expect("instant"),
        VisitKind::ClientMeeting,
        title,
    )
}

fn phone() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.sqlite")).expect("store"));
    (dir, store)
}

#[test]
fn a_fresh_phone_catches_up_exactly_what_its_user_may_see() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);

    let (_jr_dir, jr) = phone();
    let jr_client =
        SyncClient::start(jr.clone(), config(&server.url(), agency.token("jr"))).expect("client");
    let acme_visit = jr
        .create(&visit("acme", "jr", "Visita Acme"))
        .expect("create");
    jr_client.wait_until_saved(acme_visit, LONG).expect("saved");

    let (_out_dir, out) = phone();
    let out_client =
        SyncClient::start(out.clone(), config(&server.url(), agency.token("outsider")))
            .expect("client");
    let beta_visit = out
        .create(&visit("beta", "outsider", "Visita Beta"))
        .expect("create");
    out_client
        .wait_until_saved(beta_visit, LONG)
        .expect("saved");

    // `jr` supervises `sub-jr` (fixture), so `sub-jr`'s visit on beta is one `jr` may see
    // although jr is not on beta.
    let (_sub_dir, sub) = phone();
    let sub_client = SyncClient::start(sub.clone(), config(&server.url(), agency.token("sub-jr")))
        .expect("client");
    let supervised = sub
        .create(&visit("beta", "sub-jr", "Visita supervisada"))
        .expect("create");
    sub_client
        .wait_until_saved(supervised, LONG)
        .expect("saved");

    // A fresh phone of the junior's teammate catches up: the acme visit, nothing of beta.
    let (_mate_dir, mate) = phone();
    let mate_client = SyncClient::start(mate.clone(), config(&server.url(), agency.token("mate")))
        .expect("client");
    mate_client
        .wait_for(LONG, || {
            mate_client.is_caught_up()
                && mate.heads(acme_visit).ok().flatten() == jr.heads(acme_visit).ok().flatten()
        })
        .expect("the teammate's phone caught up");
    assert!(
        mate.heads(beta_visit).expect("heads").is_none(),
        "beta leaked"
    );
    assert!(
        mate.heads(supervised).expect("heads").is_none(),
        "beta leaked"
    );

    // A fresh phone of the junior: own account plus the supervised person's visit.
    let (_jr2_dir, jr2) = phone();
    let jr2_client =
        SyncClient::start(jr2.clone(), config(&server.url(), agency.token("jr"))).expect("client");
    jr2_client
        .wait_for(LONG, || {
            jr2_client.is_caught_up()
                && jr2.heads(acme_visit).ok().flatten().is_some()
                && jr2.heads(supervised).ok().flatten().is_some()
        })
        .expect("the junior's new phone caught up");
    assert!(
        jr2.heads(beta_visit).expect("heads").is_none(),
        "beta leaked"
    );

    for client in [jr_client, out_client, sub_client, mate_client, jr2_client] {
        client.stop();
    }
}

/// Id squatting: someone of another organisation learnt the id of a document made offline on a
/// phone and registered it first, in their own account. The phone must not be stranded: it
/// hears that the id is unavailable, and re-creates the same content under a new id, which
/// syncs to the team; the squatter never sees the phone's content.
#[test]
fn a_phone_whose_document_id_was_taken_learns_it_and_recreates_the_content() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let id = DocumentId::new_random();

    let (_squat_dir, squatter) = phone();
    let squatter_client = SyncClient::start(
        squatter.clone(),
        config(&server.url(), agency.token("foreigner")),
    )
    .expect("client");
    squatter
        .create(&visit_with_id(id, "gamma", "foreigner", "Ocupada"))
        .expect("create");
    squatter_client
        .wait_until_saved(id, LONG)
        .expect("the squatter's document is registered first");

    let (_jr_dir, jr) = phone();
    let jr_client =
        SyncClient::start(jr.clone(), config(&server.url(), agency.token("jr"))).expect("client");
    jr.create(&visit_with_id(id, "acme", "jr", "Visita Acme"))
        .expect("create");
    jr_client
        .wait_for(LONG, || jr_client.refusal(id).is_some())
        .expect("the phone hears its document was refused");
    let refusal = jr_client.refusal(id).expect("refusal");
    assert!(refusal.needs_new_id(), "{refusal:?}");
    assert_eq!(
        jr_client.sync_status(id).expect("status"),
        SyncStatus::RefusedByServer
    );

    let fresh = jr_client.recreate_under_new_id(id).expect("recreate");
    assert_ne!(fresh, id);
    jr_client
        .wait_until_saved(fresh, LONG)
        .expect("the re-created document syncs");
    let copy: ClientVisit = jr.get(fresh).expect("the copy");
    let original: ClientVisit = jr.get(id).expect("the original stays on the phone");
    assert_eq!(copy.title, "Visita Acme");
    assert_eq!(original.title, "Visita Acme");

    // The team gets the content under the new id; the squatter never got any of it.
    let (_mate_dir, mate) = phone();
    let mate_client = SyncClient::start(mate.clone(), config(&server.url(), agency.token("mate")))
        .expect("client");
    mate_client
        .wait_for(LONG, || {
            mate.heads(fresh).ok().flatten() == jr.heads(fresh).ok().flatten()
                && mate.heads(fresh).ok().flatten().is_some()
        })
        .expect("the teammate receives the re-created document");
    let theirs: ClientVisit = squatter.get(id).expect("the squatter's document");
    assert_eq!(theirs.title, "Ocupada");
    assert!(squatter.heads(fresh).expect("heads").is_none());

    for client in [squatter_client, jr_client, mate_client] {
        client.stop();
    }
}

#[test]
fn a_phone_with_a_bad_token_keeps_its_edits_and_never_syncs() {
    let data = tempfile::tempdir().expect("data");
    let _agency = fixture::seed(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let (_dir, store) = phone();
    let client =
        SyncClient::start(store.clone(), config(&server.url(), "enl_not-a-token")).expect("client");
    let doc = store
        .create(&visit("acme", "jr", "Sin conexión"))
        .expect("create");
    client
        .wait_for(LONG, || client.is_unauthorized())
        .expect("the phone learns its token was refused");
    assert!(!client.is_connected());
    assert_eq!(
        client.sync_status(doc).expect("status"),
        SyncStatus::OnlyOnThisPhone
    );
    assert_eq!(client.pending_count().expect("pending"), 1);
    client.stop();
}
