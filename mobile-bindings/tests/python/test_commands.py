"""Server commands from the app, against a real authenticated server: the executive sends a
contact report and the number and `sent` arrive by sync; a director reviews and reopens a
storecheck from their phone; refusals come with their kind and the server's reason; offline,
nothing is asked."""

import socket

import pytest

import enlace_mobile as m
from test_bindings import NOW, add_line, new_storecheck
from test_refusal import admin
from test_sync import server_binary, start_server, wait_until

TIMEOUT_MS = 60_000


def seed_agency(binary, data):
    """One organisation with account `acme`, an executive and a director on its team, and an
    executive of another organisation, made with `enlace-server admin` in `data`. Returns the
    organisation's id and the tokens by person."""
    org = admin(binary, data, "create-org", "--name", "Agencia Andes")["id"]
    admin(binary, data, "create-account", "--org", org, "--id", "acme", "--name", "Acme")
    tokens = {}
    for name, role in [("ejecutiva", "account_executive"), ("directora", "account_director")]:
        user = admin(
            binary, data, "create-user", "--org", org, "--name", name,
            "--email", f"{name}@andes.example", "--role", role,
        )["id"]
        admin(binary, data, "add-member", "--org", org, "--account", "acme", "--user", user)
        tokens[name] = admin(binary, data, "issue-token", "--org", org, "--user", user)["token"]
    other = admin(binary, data, "create-org", "--name", "Agencia Pampa")["id"]
    admin(binary, data, "create-account", "--org", other, "--id", "gamma", "--name", "Gamma")
    outsider = admin(
        binary, data, "create-user", "--org", other, "--name", "Ajena",
        "--email", "ajena@pampa.example", "--role", "account_executive",
    )["id"]
    admin(binary, data, "add-member", "--org", other, "--account", "gamma", "--user", outsider)
    tokens["ajena"] = admin(binary, data, "issue-token", "--org", other, "--user", outsider)["token"]
    return org, tokens


@pytest.fixture
def agency(tmp_path):
    """The organisations of `seed_agency` served by an authenticated server. Yields the URL and
    tokens."""
    binary = server_binary()
    data = tmp_path / "server"
    data.mkdir()
    _, tokens = seed_agency(binary, data)
    proc, url = start_server(data)
    yield url, tokens
    proc.terminate()
    proc.wait(timeout=10)


def phone(tmp_path, name, url, token):
    store = m.EnlaceStore.open(str(tmp_path / f"{name}.db"))
    store.start_sync(url, token)
    return store


def test_the_executive_sends_a_report_and_sees_it_sent(tmp_path, agency):
    url, tokens = agency
    ae = phone(tmp_path, "ae", url, tokens["ejecutiva"])
    nid = ae.create_meeting_note(
        m.NewMeetingNote(account_id="acme", created_by="user-ana", created_at=NOW,
                         meeting_kind=m.MeetingKind.CLIENT_MEETING, title="Revisión de campaña")
    )
    E = m.MeetingNoteEdit
    ae.edit_meeting_note(nid, [
        E.SET_STARTED_AT(at=NOW),
        E.ADD_RECIPIENT(key="r1", name="María José Núñez", email="mjnunez@vinasur.cl",
                        party=m.Party.CLIENT, reason=m.RecipientReason.ATTENDEE),
        E.EDIT_BODY(edit=m.TextEdit(start=0, delete=0, insert="Se aprobó la campaña.")),
        E.SUBMIT_CONTACT_REPORT(),
    ])

    outcome = ae.send_contact_report(nid, TIMEOUT_MS)
    assert outcome.status == "sent"
    assert outcome.document == nid
    assert outcome.report_no is not None and outcome.report_no.startswith("ACME-")
    assert wait_until(lambda: ae.get_meeting_note(nid).contact_report.report_no == outcome.report_no)
    report = ae.get_meeting_note(nid).contact_report
    assert report.status == m.ContactReportStatus.SENT
    assert report.sent_at is not None

    # A second press: refused as a conflict, with the server's reason.
    with pytest.raises(m.EnlaceError.CommandRefused) as again:
        ae.send_contact_report(nid, TIMEOUT_MS)
    assert again.value.kind == m.RefusalKind.CONFLICT and again.value.status == 409

    # Another organisation's phone: the same not-found as a document that does not exist.
    other = phone(tmp_path, "other", url, tokens["ajena"])
    with pytest.raises(m.EnlaceError.CommandRefused) as hidden:
        other.send_contact_report(nid, TIMEOUT_MS)
    assert hidden.value.kind == m.RefusalKind.NOT_FOUND and hidden.value.status == 404
    for store in [ae, other]:
        store.stop_sync()


def test_a_director_reviews_and_reopens_a_storecheck(tmp_path, agency):
    url, tokens = agency
    ae = phone(tmp_path, "ae", url, tokens["ejecutiva"])
    sid = new_storecheck(ae, account="acme")
    ae.edit_storecheck(sid, [
        add_line("p1", "Cabernet 750"),
        m.StorecheckEdit.SET_STATUS(to=m.StorecheckStatus.IN_PROGRESS),
        m.StorecheckEdit.SUBMIT(),
    ])
    assert wait_until(lambda: ae.sync_status(sid) == m.SyncStatus.SAVED_ON_SERVER)

    # The executive may not review.
    with pytest.raises(m.EnlaceError.CommandRefused) as own:
        ae.review_storecheck(sid, None, TIMEOUT_MS)
    assert own.value.kind == m.RefusalKind.NOT_ALLOWED

    director = phone(tmp_path, "dir", url, tokens["directora"])
    director.fetch(sid)
    assert wait_until(lambda: _status(director, sid) == m.StorecheckStatus.SUBMITTED)
    reviewed = director.review_storecheck(sid, "Bien hecho", TIMEOUT_MS)
    assert reviewed.status == "reviewed"
    assert wait_until(lambda: _status(ae, sid) == m.StorecheckStatus.REVIEWED)
    assert ae.get_storecheck(sid).review_comment == "Bien hecho"

    with pytest.raises(m.EnlaceError.CommandRefused) as bare:
        director.reopen_storecheck(sid, "", TIMEOUT_MS)
    assert bare.value.kind == m.RefusalKind.BAD_REQUEST
    reopened = director.reopen_storecheck(sid, "Falta la góndola de lácteos", TIMEOUT_MS)
    assert reopened.status == "in_progress"
    assert wait_until(lambda: _status(ae, sid) == m.StorecheckStatus.IN_PROGRESS)
    for store in [ae, director]:
        store.stop_sync()


def test_offline_nothing_is_asked(tmp_path, agency):
    _url, tokens = agency
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    offline = phone(tmp_path, "offline", f"ws://127.0.0.1:{port}/v1/sync", tokens["ejecutiva"])
    sid = new_storecheck(offline, account="acme")
    with pytest.raises(m.EnlaceError.Offline):
        offline.review_storecheck(sid, None, 300)
    offline.stop_sync()
    # Without a sync client there is nobody to ask.
    with pytest.raises(m.EnlaceError.Sync):
        offline.send_contact_report(sid, 300)


def _status(store, sid):
    try:
        return store.get_storecheck(sid).status
    except m.EnlaceError.NotFound:
        return None
