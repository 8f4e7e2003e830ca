"""enlace-mobile through its generated Python bindings: what a phone app does, offline."""

import threading

import pytest

import enlace_mobile as m

NOW = m.Instant(utc_ms=1_717_000_000_000, zone="America/Santiago")
# "Góndola ñ " is 10 UTF-16 units; the emoji is a surrogate pair (2 units, 4 UTF-8 bytes).
NOTES = "Góndola ñ 😀 café"
MISSING = "2APp62HLhx67PjH7Xzc5Qu6iPa6x"


def new_storecheck(store, account="acc-vina"):
    return store.create_storecheck(
        m.NewStorecheck(
            account_id=account,
            created_by="user-ana",
            created_at=NOW,
            store=m.StoreSnapshot(
                id="store-42", code="J042", name="Jumbo Costanera", chain="Jumbo", format="hiper"
            ),
            catalog_version="2024-05",
        )
    )


def add_line(key, name, is_own=True):
    return m.StorecheckEdit.ADD_LINE(
        key=key,
        product=m.ProductSnapshot(gtin="780" + key, name=name, brand="Viña Sur", is_own=is_own),
        expected=m.Expected(
            must_stock=True,
            target_facings=6,
            target_price=m.Money(amount_minor=4990, currency="CLP"),
        ),
    )


def edit(start, delete, insert):
    return m.TextEdit(start=start, delete=delete, insert=insert)


def notes(start, delete, insert):
    """An edit of a storecheck's general notes."""
    return m.StorecheckEdit.EDIT_GENERAL_NOTES(edit=edit(start, delete, insert))


def line_note(key, start, delete, insert):
    return m.StorecheckEdit.EDIT_LINE_NOTE(line=key, edit=edit(start, delete, insert))


def manual_check_in(reason="sin GPS en el subterráneo"):
    return m.CheckIn(at=NOW, geo=None, method=m.CheckInMethod.MANUAL, manual_reason=reason)


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


@pytest.fixture
def store(tmp_path):
    return m.EnlaceStore.open(str(tmp_path / "phone" / "enlace.db"))


def test_storecheck_created_offline_survives_reopen(tmp_path):
    path = str(tmp_path / "enlace.db")
    sid = new_storecheck(m.EnlaceStore.open(path))
    sc = m.EnlaceStore.open(path).get_storecheck(sid)
    assert sc.id == sid
    assert sc.status == m.StorecheckStatus.DRAFT
    assert sc.store.name == "Jumbo Costanera"
    assert sc.created_at == NOW
    assert sc.lines == {}
    assert sc.general_notes == ""
    assert sc.kpis == m.Kpis(oos_rate=None, share_of_shelf=None, price_compliance=None, perfect_store_score=None)


def test_lines_are_edited_in_one_change(store):
    sid = new_storecheck(store)
    store.edit_storecheck(
        sid,
        [
            add_line("p1", "Cabernet 750"),
            add_line("p2", "Carménère 750"),
            m.StorecheckEdit.CHECK_IN(check_in=manual_check_in()),
            m.StorecheckEdit.SET_PRESENCE(line="p1", presence=m.Presence.PRESENT),
            m.StorecheckEdit.SET_FACINGS(line="p1", facings=7),
            m.StorecheckEdit.SET_SHELF_PRICE(line="p1", price=m.Money(amount_minor=5290, currency="CLP")),
            m.StorecheckEdit.SET_SHELF_LEVEL(line="p1", level=m.ShelfLevel.EYE),
            m.StorecheckEdit.SET_PRESENCE(line="p2", presence=m.Presence.OOS),
        ],
    )
    sc = store.get_storecheck(sid)
    assert sc.status == m.StorecheckStatus.IN_PROGRESS
    assert sc.check_in == manual_check_in()
    assert sorted(sc.lines) == ["p1", "p2"]
    p1, p2 = sc.lines["p1"], sc.lines["p2"]
    assert (p1.facings, p1.presence, p1.shelf_level) == (7, m.Presence.PRESENT, m.ShelfLevel.EYE)
    assert p1.shelf_price == m.Money(amount_minor=5290, currency="CLP")
    assert p2.product.name == "Carménère 750" and p2.presence == m.Presence.OOS
    # One line without copying the document; a key it does not have is None, not an error.
    assert store.storecheck_line(sid, "p1") == p1
    assert store.storecheck_line(sid, "nope") is None

    # A recount replaces; a bad edit in a batch writes none of the batch.
    with pytest.raises(m.EnlaceError.InvalidValue) as bad:
        store.edit_storecheck(
            sid,
            [m.StorecheckEdit.SET_FACINGS(line="p1", facings=6), m.StorecheckEdit.SET_FACINGS(line="p2", facings=-1)],
        )
    assert bad.value.field == "lines.p2.facings"
    assert store.get_storecheck(sid) == sc

    store.edit_storecheck(sid, [m.StorecheckEdit.SET_LINE_DELETED(line="p2", deleted=True), m.StorecheckEdit.SUBMIT()])
    sc = store.get_storecheck(sid)
    assert sc.lines["p2"].deleted and sc.status == m.StorecheckStatus.SUBMITTED


def test_text_edits_count_utf16_units(store):
    sid = new_storecheck(store)
    store.edit_storecheck(sid, [add_line("p1", "Cabernet 750")])
    store.edit_storecheck(sid, [notes(0, 0, NOTES)])
    # Replace the emoji (units 10..12) with two accented words.
    store.edit_storecheck(sid, [notes(10, 2, "ñandú 🇨🇱")])
    assert store.get_storecheck(sid).general_notes == "Góndola ñ ñandú 🇨🇱 café"
    # Append at the very end, as a Kotlin text field reports it (String.length is UTF-16 units).
    text = store.get_storecheck(sid).general_notes
    store.edit_storecheck(sid, [notes(utf16_len(text), 0, "!")])
    assert store.get_storecheck(sid).general_notes == "Góndola ñ ñandú 🇨🇱 café!"

    # Two splices of one text in one batch: the second sees the first.
    store.edit_storecheck(sid, [line_note("p1", 0, 0, "sin stock 😕"), line_note("p1", 0, 3, "con")])
    assert store.storecheck_line(sid, "p1").note == "con stock 😕"


def test_bad_text_positions_are_typed_errors(store):
    sid = new_storecheck(store)
    store.edit_storecheck(sid, [notes(0, 0, NOTES)])
    with pytest.raises(m.EnlaceError.TextPosition) as inside:
        store.edit_storecheck(sid, [notes(11, 0, "x")])
    assert "surrogate" in inside.value.reason
    with pytest.raises(m.EnlaceError.TextPosition):
        store.edit_storecheck(sid, [notes(10, 1, "")])
    with pytest.raises(m.EnlaceError.TextPosition):
        store.edit_storecheck(sid, [notes(100, 0, "x")])
    with pytest.raises(m.EnlaceError.NotFound) as line:
        store.edit_storecheck(sid, [line_note("nope", 0, 0, "x")])
    assert (line.value.what, line.value.id) == ("line", "nope")
    assert store.get_storecheck(sid).general_notes == NOTES


def test_queries_filter_the_index(store):
    a = new_storecheck(store, "acc-vina")
    b = new_storecheck(store, "acc-cerveza")
    store.edit_storecheck(
        b,
        [m.StorecheckEdit.CHECK_IN(check_in=m.CheckIn(at=NOW, geo=m.GeoPoint(lat=-33.4, lon=-70.6, accuracy_m=8.0), method=m.CheckInMethod.GPS, manual_reason=None))],
    )
    visit = store.create_client_visit(
        m.NewClientVisit(account_id="acc-vina", created_by="user-ana", created_at=NOW, visit_kind=m.VisitKind.BUSINESS_LUNCH, title="Almuerzo con marketing")
    )
    assert {d.id for d in store.list(None)} == {a, b, visit}
    assert {d.id for d in store.list(m.DocumentKind.STORECHECK)} == {a, b}

    q = m.Query(deleted=m.DeletedFilter.EXCLUDE, order=m.SortOrder.NEWEST_FIRST, account_id="acc-vina")
    assert {d.id for d in store.query(q)} == {a, visit}
    q = m.Query(deleted=m.DeletedFilter.EXCLUDE, order=m.SortOrder.NEWEST_FIRST, status="in_progress")
    [row] = store.query(q)
    assert (row.id, row.kind, row.title, row.account_id) == (b, m.DocumentKind.STORECHECK, "Jumbo Costanera", "acc-cerveza")

    # Deleting is the kind's own SetDeleted edit; the document goes to the trash, not away.
    store.edit_storecheck(a, [m.StorecheckEdit.SET_DELETED(deleted=True)])
    assert {d.id for d in store.list(m.DocumentKind.STORECHECK)} == {b}
    trash = m.Query(deleted=m.DeletedFilter.ONLY, order=m.SortOrder.OLDEST_FIRST)
    assert [d.id for d in store.query(trash)] == [a]
    assert store.get_storecheck(a).deleted
    store.edit_storecheck(a, [m.StorecheckEdit.SET_DELETED(deleted=False)])
    assert {d.id for d in store.list(m.DocumentKind.STORECHECK)} == {a, b}
    with pytest.raises(m.EnlaceError.InvalidValue) as limit:
        store.query(m.Query(deleted=m.DeletedFilter.INCLUDE, order=m.SortOrder.OLDEST_FIRST, limit=0))
    assert limit.value.field == "limit"


class Recorder(m.DocumentObserver):
    def __init__(self):
        self.calls = []
        self.changed = threading.Event()

    def on_change(self, ids):
        self.calls.append((threading.get_ident(), list(ids)))
        self.changed.set()


def test_observer_hears_every_change_on_the_writing_thread(store):
    seen = Recorder()
    handle = store.add_observer(seen)
    sid = new_storecheck(store)
    store.edit_storecheck(sid, [notes(0, 0, "hola")])
    assert seen.calls == [(threading.get_ident(), [sid])] * 2

    # From another thread: called on that thread, and it may read the store at once.
    reads = []

    class Reader(m.DocumentObserver):
        def on_change(self, ids):
            reads.append((threading.get_ident(), store.get_storecheck(ids[0]).general_notes))

    reader = store.add_observer(Reader())
    worker = threading.Thread(target=lambda: store.edit_storecheck(sid, [notes(4, 0, " 👋")]))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert reads == [(worker.ident, "hola 👋")]

    # A refused batch changes nothing, so nobody is told.
    with pytest.raises(m.EnlaceError.TextPosition):
        store.edit_storecheck(sid, [notes(0, 0, "x"), notes(999, 0, "y")])
    assert len(seen.calls) == 3

    assert store.remove_observer(handle) and store.remove_observer(reader)
    assert not store.remove_observer(handle)
    store.edit_storecheck(sid, [m.StorecheckEdit.SET_DELETED(deleted=True)])
    assert len(seen.calls) == 3


def test_a_failing_observer_does_not_fail_the_write(store):
    class Broken(m.DocumentObserver):
        def on_change(self, ids):
            raise RuntimeError("observer bug")

    store.add_observer(Broken())
    seen = Recorder()
    store.add_observer(seen)
    sid = new_storecheck(store)
    assert store.get_storecheck(sid).id == sid
    assert seen.calls[0][1] == [sid]


def test_errors_are_typed(store):
    sid = new_storecheck(store)
    with pytest.raises(m.EnlaceError.NotFound) as nf:
        store.get_storecheck(MISSING)
    assert (nf.value.what, nf.value.id) == ("document", MISSING)
    with pytest.raises(m.EnlaceError.NotFound):
        store.edit_storecheck(MISSING, [notes(0, 0, "x")])
    with pytest.raises(m.EnlaceError.WrongKind) as wk:
        store.get_meeting_note(sid)
    assert (wk.value.expected, wk.value.found) == ("meeting_note", "storecheck")
    with pytest.raises(m.EnlaceError.WrongKind):
        store.edit_action_item(sid, [m.ActionItemEdit.SET_TITLE(title="x")])
    with pytest.raises(m.EnlaceError.InvalidValue) as bad_id:
        store.get_storecheck("not an id")
    assert bad_id.value.field == "document id"
    with pytest.raises(m.EnlaceError.InvalidValue) as currency:
        store.edit_storecheck(sid, [add_line("p1", "x"), m.StorecheckEdit.SET_SHELF_PRICE(line="p1", price=m.Money(amount_minor=1, currency="XXX"))])
    assert currency.value.field == "currency"
    with pytest.raises(m.EnlaceError.InvalidValue) as skip:
        store.edit_storecheck(sid, [m.StorecheckEdit.SUBMIT()])
    assert skip.value.field == "status"
    with pytest.raises(m.EnlaceError.InvalidValue) as zone:
        store.create_storecheck(m.NewStorecheck(account_id="a", created_by="u", created_at=m.Instant(utc_ms=0, zone="Mars/Base 1"), store=m.StoreSnapshot(id="s", code="", name="n", chain="", format=""), catalog_version="v"))
    assert zone.value.field == "zone"
    with pytest.raises(m.EnlaceError.Storage):
        m.EnlaceStore.open("/proc/enlace/not-writable.db")
    # Every error is an EnlaceError, so an app can catch them all at once.
    assert issubclass(m.EnlaceError.TextPosition, m.EnlaceError)
    assert store.get_storecheck(sid).lines == {}


def test_a_rust_panic_is_an_exception_not_a_crash(store):
    with pytest.raises(m.InternalError) as panic:
        m.debug_panic("boom from rust")
    assert "boom from rust" in str(panic.value)
    # The library keeps working afterwards.
    assert store.get_storecheck(new_storecheck(store)).status == m.StorecheckStatus.DRAFT


def test_visit_meeting_note_and_action_item(store):
    vid = store.create_client_visit(
        m.NewClientVisit(account_id="acc-vina", created_by="user-ana", created_at=NOW, visit_kind=m.VisitKind.CLIENT_MEETING, title="Revisión de marca")
    )
    nid = store.create_meeting_note(
        m.NewMeetingNote(account_id="acc-vina", created_by="user-ana", created_at=NOW, meeting_kind=m.MeetingKind.BRAND_REVIEW, title="Revisión de marca")
    )
    aid = store.create_action_item(
        m.NewActionItem(
            account_id="acc-vina",
            created_by="user-ana",
            created_at=NOW,
            source=m.Source(kind=m.SourceKind.MEETING_NOTE, doc_id=nid),
            title="Enviar propuesta",
            owner="user-luis",
        )
    )
    store.edit_client_visit(
        vid,
        [
            m.ClientVisitEdit.CHECK_IN(check_in=manual_check_in("oficina del cliente")),
            m.ClientVisitEdit.SET_STATUS(to=m.VisitStatus.HELD),
            m.ClientVisitEdit.LINK_MEETING_NOTE(meeting_note_id=nid),
            m.ClientVisitEdit.ADD_ACTION_ITEM(action_item_id=aid),
            m.ClientVisitEdit.ADD_ATTENDEE(key="a1", party=m.Party.CLIENT, person_id=None, name="María José Núñez", title="Brand manager", attendance=m.Attendance.ATTENDED),
            m.ClientVisitEdit.EDIT_OBJECTIVE(edit=edit(0, 0, "Cerrar la campaña de invierno ❄")),
        ],
    )
    v = store.get_client_visit(vid)
    assert (v.status, v.meeting_note_id, v.action_item_ids) == (m.VisitStatus.HELD, nid, [aid])
    assert v.attendees["a1"].name == "María José Núñez"
    assert v.objective == "Cerrar la campaña de invierno ❄"
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.edit_client_visit(vid, [m.ClientVisitEdit.SET_STATUS(to=m.VisitStatus.CANCELLED)])

    store.edit_meeting_note(
        nid,
        [
            m.MeetingNoteEdit.ADD_AGENDA_ITEM(key="g1", title="Resultados", owner=None, after=None, before=None),
            m.MeetingNoteEdit.ADD_AGENDA_ITEM(key="g2", title="Campaña de invierno", owner=None, after=None, before=None),
            m.MeetingNoteEdit.MOVE_AGENDA_ITEM(item="g2", after=None, before="g1"),
            m.MeetingNoteEdit.SUBMIT_CONTACT_REPORT(),
            m.MeetingNoteEdit.EDIT_BODY(edit=edit(0, 0, "Acuerdos: 🍷 promo 2x1")),
        ],
    )
    n = store.get_meeting_note(nid)
    assert [k for k, _ in sorted(n.agenda.items(), key=lambda kv: (kv[1].order, kv[0]))] == ["g2", "g1"]
    assert n.contact_report.status == m.ContactReportStatus.IN_REVIEW
    assert n.body == "Acuerdos: 🍷 promo 2x1"
    assert n.account_id == "acc-vina"

    store.edit_action_item(
        aid,
        [m.ActionItemEdit.SET_STATUS(to=m.ActionItemStatus.DONE), m.ActionItemEdit.ADD_COMMENT(key="c1", author="user-luis", at=NOW, text="Enviada ✔")],
    )
    a = store.get_action_item(aid)
    assert (a.status, a.source, a.comments["c1"].text) == (
        m.ActionItemStatus.DONE,
        m.Source(kind=m.SourceKind.MEETING_NOTE, doc_id=nid),
        "Enviada ✔",
    )
    assert {d.id for d in store.list(None)} == {vid, nid, aid}


def test_sync_status_is_defined_for_the_ui():
    assert {s.name for s in m.SyncStatus} == {"ONLY_ON_THIS_PHONE", "SYNCING", "SAVED_ON_SERVER", "REFUSED_BY_SERVER"}
