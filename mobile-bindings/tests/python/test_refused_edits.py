"""Every way core refuses an edit reaches Python as its own EnlaceError case, with the fields an
app shows; and a refused batch leaves the document exactly as it was (nothing of it is written,
no observer hears of it)."""

import pytest

import enlace_mobile as m
from test_bindings import MISSING, NOW, Recorder, add_line, new_storecheck, notes

# The cap of a free text (notes, descriptions), in UTF-8 bytes.
MAX_TEXT = 256 * 1024


@pytest.fixture
def storecheck(tmp_path):
    """A store with a storecheck in progress: line p1 counted, some notes, and an observer."""
    store = m.EnlaceStore.open(str(tmp_path / "enlace.db"))
    sid = new_storecheck(store)
    store.edit_storecheck(
        sid,
        [
            add_line("p1", "Cabernet 750"),
            m.StorecheckEdit.SET_FACINGS(line="p1", facings=7),
            m.StorecheckEdit.CHECK_IN(check_in=m.CheckIn(at=NOW, geo=None, method=m.CheckInMethod.MANUAL, manual_reason="sin señal")),
            notes(0, 0, "Góndola ñ 😀"),
        ],
    )
    seen = Recorder()
    store.add_observer(seen)
    return store, sid, seen


# Each refused edit, after a valid edit in the same batch; the error case it must raise; and the
# fields of that case.
S = m.StorecheckEdit
REFUSED = {
    "unknown line": (S.SET_FACINGS(line="nope", facings=3), m.EnlaceError.NotFound, {"what": "line", "id": "nope"}),
    "line added twice": (add_line("p1", "Cabernet 750 otra vez"), m.EnlaceError.AlreadyExists, {"what": "line", "id": "p1"}),
    "negative facings": (S.SET_FACINGS(line="p1", facings=-1), m.EnlaceError.InvalidValue, {"field": "lines.p1.facings"}),
    "text past the end": (notes(1000, 0, "x"), m.EnlaceError.TextPosition, {}),
    "review from a phone": (S.SET_STATUS(to=m.StorecheckStatus.REVIEWED), m.EnlaceError.ServerOnly, {}),
    "notes past their cap": (notes(0, 0, "x" * (MAX_TEXT + 1)), m.EnlaceError.TooLarge, {"field": "general_notes", "max": MAX_TEXT}),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_refusal_is_its_own_error_case_and_the_batch_is_not_written(storecheck, case):
    store, sid, seen = storecheck
    refused, error, fields = REFUSED[case]
    before = store.get_storecheck(sid)
    with pytest.raises(error) as raised:
        store.edit_storecheck(sid, [S.SET_FACINGS(line="p1", facings=9), notes(0, 0, "¡"), refused])
    for name, value in fields.items():
        assert getattr(raised.value, name) == value, (case, raised.value)
    assert isinstance(raised.value, m.EnlaceError)
    # Only its own case: an app can tell them apart with one `except` each.
    others = {e for _, e, _ in REFUSED.values()} - {error}
    assert not any(isinstance(raised.value, other) for other in others)
    assert store.get_storecheck(sid) == before
    assert seen.calls == []
    # The same edits without the refused one go through.
    store.edit_storecheck(sid, [S.SET_FACINGS(line="p1", facings=9), notes(0, 0, "¡")])
    assert store.storecheck_line(sid, "p1").facings == 9
    assert store.get_storecheck(sid).general_notes == "¡Góndola ñ 😀"


def test_the_text_cap_counts_bytes_and_says_how_far_over(storecheck):
    store, sid, _ = storecheck
    with pytest.raises(m.EnlaceError.TooLarge) as raised:
        store.edit_storecheck(sid, [notes(0, 0, "ñ" * (MAX_TEXT // 2))])
    text = "ñ" * (MAX_TEXT // 2) + "Góndola ñ 😀"
    assert (raised.value.field, raised.value.len, raised.value.max) == ("general_notes", len(text.encode()), MAX_TEXT)


def test_a_malformed_id_is_an_invalid_value(storecheck):
    store, sid, seen = storecheck
    before = store.get_storecheck(sid)
    # As an argument...
    for call in [
        lambda: store.get_storecheck("not an id"),
        lambda: store.edit_storecheck("not an id", [notes(0, 0, "x")]),
        lambda: store.storecheck_kpis(""),
        lambda: store.sync_status("2APp62HLhx67PjH7Xzc5Qu6iPa6"),
    ]:
        with pytest.raises(m.EnlaceError.InvalidValue) as raised:
            call()
        assert raised.value.field == "document id"
    # ...inside an edit: the whole batch is refused before anything is applied.
    with pytest.raises(m.EnlaceError.InvalidValue) as raised:
        store.edit_storecheck(
            sid,
            [
                S.SET_FACINGS(line="p1", facings=9),
                S.RAISE_ISSUE(key="i1", issue_type=m.IssueType.OOS, severity=m.Severity.LOW, line="p1", description="x"),
                S.LINK_ISSUE_ACTION_ITEM(issue="i1", action_item_id="no es un id"),
            ],
        )
    assert raised.value.field == "document id"
    # An entity id (here an empty one) is checked the same way.
    with pytest.raises(m.EnlaceError.InvalidValue) as raised:
        store.create_action_item(
            m.NewActionItem(account_id="acc-vina", created_by="", created_at=NOW, source=m.Source(kind=m.SourceKind.MANUAL, doc_id=None), title="x", owner="user-ana")
        )
    assert raised.value.field == "entity id"
    assert store.get_storecheck(sid) == before
    assert seen.calls == []
    # A well-formed id that names no document is another case.
    with pytest.raises(m.EnlaceError.NotFound):
        store.edit_storecheck(MISSING, [notes(0, 0, "x")])


def test_moving_the_contact_report_to_sent_is_the_servers(tmp_path):
    store = m.EnlaceStore.open(str(tmp_path / "enlace.db"))
    nid = store.create_meeting_note(
        m.NewMeetingNote(account_id="acc-vina", created_by="user-ana", created_at=NOW, meeting_kind=m.MeetingKind.CLIENT_MEETING, title="Revisión")
    )
    E = m.MeetingNoteEdit
    store.edit_meeting_note(nid, [E.SUBMIT_CONTACT_REPORT()])
    before = store.get_meeting_note(nid)
    for refused in [
        E.SET_CONTACT_REPORT_STATUS(to=m.ContactReportStatus.SENT),
        E.SET_CONTACT_REPORT_STATUS(to=m.ContactReportStatus.ACCEPTED),
        E.MARK_CONTACT_REPORT_SENT(report_no="CR-2024-001", sent_at=NOW),
    ]:
        with pytest.raises(m.EnlaceError.ServerOnly) as raised:
            store.edit_meeting_note(nid, [E.SET_LOCATION(location="Vitacura"), refused])
        assert raised.value.what
    after = store.get_meeting_note(nid)
    assert after == before
    assert after.contact_report.status == m.ContactReportStatus.IN_REVIEW
    assert after.contact_report.report_no is None
    # A status moving backwards is a value the phone got wrong, not a server command.
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.edit_meeting_note(nid, [E.SET_CONTACT_REPORT_STATUS(to=m.ContactReportStatus.DRAFT)])
