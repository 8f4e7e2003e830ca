"""enlace-mobile through its generated Python bindings: what a phone app does, offline."""

import threading

import pytest

import enlace_mobile as m

NOW = m.Instant(utc_ms=1_717_000_000_000, zone="America/Santiago")
# "Góndola ñ " is 10 UTF-16 units; the emoji is a surrogate pair (2 units, 4 UTF-8 bytes).
NOTES = "Góndola ñ 😀 café"


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


def add_line(key, name):
    return m.StorecheckEdit.ADD_LINE(
        key=key,
        product=m.ProductSnapshot(gtin="780" + key, name=name, brand="Viña Sur", is_own=True),
        expected=m.Expected(
            must_stock=True,
            target_facings=6,
            target_price=m.Money(amount_minor=4990, currency="CLP"),
        ),
    )


def edit(start, delete, insert):
    return m.TextEdit(start=start, delete=delete, insert=insert)


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
    assert sc.lines == []


def test_lines_are_edited_in_one_transaction(store):
    sid = new_storecheck(store)
    sc = store.update_storecheck(
        sid,
        [
            add_line("p1", "Cabernet 750"),
            add_line("p2", "Carménère 750"),
            m.StorecheckEdit.ARRIVE(
                check_in=m.CheckIn(at=NOW, geo=None, method=m.CheckInMethod.MANUAL, manual_reason="sin GPS en el subterráneo")
            ),
            m.StorecheckEdit.SET_PRESENCE(key="p1", presence=m.Presence.PRESENT),
            m.StorecheckEdit.SET_FACINGS(key="p1", facings=7),
            m.StorecheckEdit.SET_SHELF_PRICE(key="p1", price=m.Money(amount_minor=5290, currency="CLP")),
            m.StorecheckEdit.SET_SHELF_LEVEL(key="p1", level=m.ShelfLevel.EYE),
            m.StorecheckEdit.SET_PRESENCE(key="p2", presence=m.Presence.OOS),
        ],
    )
    assert sc.status == m.StorecheckStatus.IN_PROGRESS
    p1, p2 = sc.lines
    assert (p1.key, p1.facings, p1.presence, p1.shelf_level) == ("p1", 7, m.Presence.PRESENT, m.ShelfLevel.EYE)
    assert p1.shelf_price == m.Money(amount_minor=5290, currency="CLP")
    assert p2.product.name == "Carménère 750" and p2.presence == m.Presence.OOS

    # A recount replaces; a bad edit in a batch writes none of the batch.
    with pytest.raises(m.EnlaceError.InvalidValue) as bad:
        store.update_storecheck(
            sid,
            [m.StorecheckEdit.SET_FACINGS(key="p1", facings=6), m.StorecheckEdit.SET_FACINGS(key="p2", facings=-1)],
        )
    assert bad.value.field == "lines.p2.facings"
    assert store.get_storecheck(sid).lines[0].facings == 7

    store.update_storecheck(sid, [m.StorecheckEdit.SET_LINE_DELETED(key="p2", deleted=True), m.StorecheckEdit.SUBMIT()])
    sc = store.get_storecheck(sid)
    assert sc.lines[1].deleted and sc.status == m.StorecheckStatus.SUBMITTED


def test_text_edits_count_utf16_units(store):
    sid = new_storecheck(store)
    store.update_storecheck(sid, [add_line("p1", "Cabernet 750")])
    store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(0, 0, NOTES))
    # Replace the emoji (units 10..12) with two accented words.
    store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(10, 2, "ñandú 🇨🇱"))
    assert store.get_storecheck(sid).general_notes == "Góndola ñ ñandú 🇨🇱 café"
    # Append at the very end, as a Kotlin text field reports it (String.length is UTF-16 units).
    text = store.get_storecheck(sid).general_notes
    end = len(text.encode("utf-16-le")) // 2
    store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(end, 0, "!"))
    assert store.get_storecheck(sid).general_notes == "Góndola ñ ñandú 🇨🇱 café!"

    store.edit_text(sid, m.TextField.STORECHECK_LINE_NOTE(line_key="p1"), edit(0, 0, "sin stock 😕"))
    store.edit_text(sid, m.TextField.STORECHECK_LINE_NOTE(line_key="p1"), edit(0, 3, "con"))
    assert store.get_storecheck(sid).lines[0].note == "con stock 😕"


def test_bad_text_positions_are_typed_errors(store):
    sid = new_storecheck(store)
    store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(0, 0, NOTES))
    with pytest.raises(m.EnlaceError.TextPosition) as inside:
        store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(11, 0, "x"))
    assert "surrogate" in inside.value.reason
    with pytest.raises(m.EnlaceError.TextPosition):
        store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(10, 1, ""))
    with pytest.raises(m.EnlaceError.TextPosition):
        store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(100, 0, "x"))
    with pytest.raises(m.EnlaceError.NotFound) as line:
        store.edit_text(sid, m.TextField.STORECHECK_LINE_NOTE(line_key="nope"), edit(0, 0, "x"))
    assert (line.value.what, line.value.id) == ("line", "nope")
    assert store.get_storecheck(sid).general_notes == NOTES


def test_queries_filter_the_index(store):
    a = new_storecheck(store, "acc-vina")
    b = new_storecheck(store, "acc-cerveza")
    store.update_storecheck(
        b,
        [m.StorecheckEdit.ARRIVE(check_in=m.CheckIn(at=NOW, geo=m.GeoPoint(lat=-33.4, lon=-70.6, accuracy_m=8.0), method=m.CheckInMethod.GPS, manual_reason=None))],
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

    store.delete(m.DocumentKind.STORECHECK, a)
    assert {d.id for d in store.list(m.DocumentKind.STORECHECK)} == {b}
    trash = m.Query(deleted=m.DeletedFilter.ONLY, order=m.SortOrder.OLDEST_FIRST)
    assert [d.id for d in store.query(trash)] == [a]
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
    store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(0, 0, "hola"))
    assert seen.calls == [(threading.get_ident(), [sid])] * 2

    # From another thread: called on that thread, and it may read the store at once.
    reads = []

    class Reader(m.DocumentObserver):
        def on_change(self, ids):
            reads.append((threading.get_ident(), store.get_storecheck(ids[0]).general_notes))

    reader = store.add_observer(Reader())
    worker = threading.Thread(target=lambda: store.edit_text(sid, m.TextField.STORECHECK_GENERAL_NOTES(), edit(4, 0, " 👋")))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert reads == [(worker.ident, "hola 👋")]

    assert store.remove_observer(handle) and store.remove_observer(reader)
    assert not store.remove_observer(handle)
    store.delete(m.DocumentKind.STORECHECK, sid)
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
    missing = "2APp62HLhx67PjH7Xzc5Qu6iPa6x"
    with pytest.raises(m.EnlaceError.NotFound) as nf:
        store.get_storecheck(missing)
    assert (nf.value.what, nf.value.id) == ("document", missing)
    with pytest.raises(m.EnlaceError.WrongKind) as wk:
        store.get_meeting_note(sid)
    assert (wk.value.expected, wk.value.found) == ("meeting_note", "storecheck")
    with pytest.raises(m.EnlaceError.InvalidValue) as bad_id:
        store.get_storecheck("not an id")
    assert bad_id.value.field == "id"
    with pytest.raises(m.EnlaceError.InvalidValue) as currency:
        store.update_storecheck(sid, [add_line("p1", "x"), m.StorecheckEdit.SET_SHELF_PRICE(key="p1", price=m.Money(amount_minor=1, currency="XXX"))])
    assert currency.value.field == "currency"
    with pytest.raises(m.EnlaceError.InvalidValue) as skip:
        store.update_storecheck(sid, [m.StorecheckEdit.SUBMIT()])
    assert skip.value.field == "status"
    with pytest.raises(m.EnlaceError.InvalidValue) as zone:
        store.create_storecheck(m.NewStorecheck(account_id="a", created_by="u", created_at=m.Instant(utc_ms=0, zone="Mars/Base 1"), store=m.StoreSnapshot(id="s", code="", name="n", chain="", format=""), catalog_version="v"))
    assert zone.value.field == "zone"
    with pytest.raises(m.EnlaceError.Storage):
        m.EnlaceStore.open("/proc/enlace/not-writable.db")
    # Every error is an EnlaceError, so an app can catch them all at once.
    assert issubclass(m.EnlaceError.TextPosition, m.EnlaceError)


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
        m.NewMeetingNote(created_by="user-ana", created_at=NOW, meeting_kind=m.MeetingKind.BRAND_REVIEW, title="Revisión de marca", account_id="acc-vina")
    )
    aid = store.create_action_item(
        m.NewActionItem(created_by="user-ana", created_at=NOW, source_kind=m.SourceKind.MEETING_NOTE, source_doc_id=nid, account_id="acc-vina", title="Enviar propuesta", owner="user-luis")
    )
    v = store.update_client_visit(
        vid,
        [
            m.ClientVisitEdit.ARRIVE(check_in=m.CheckIn(at=NOW, geo=None, method=m.CheckInMethod.MANUAL, manual_reason="oficina del cliente")),
            m.ClientVisitEdit.ADVANCE(status=m.VisitStatus.HELD),
            m.ClientVisitEdit.LINK_MEETING_NOTE(meeting_note_id=nid),
            m.ClientVisitEdit.LINK_ACTION_ITEM(action_item_id=aid),
            m.ClientVisitEdit.PUT_ATTENDEE(attendee=m.Attendee(key="a1", party=m.Party.CLIENT, person_id=None, name="María José Núñez", title="Brand manager", attendance=m.Attendance.ATTENDED, deleted=False)),
        ],
    )
    assert (v.status, v.meeting_note_id, v.action_item_ids) == (m.VisitStatus.HELD, nid, [aid])
    assert v.attendees[0].name == "María José Núñez"
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.update_client_visit(vid, [m.ClientVisitEdit.ADVANCE(status=m.VisitStatus.CANCELLED)])

    n = store.update_meeting_note(
        nid,
        [
            m.MeetingNoteEdit.ADD_AGENDA_ITEM(key="g1", title="Resultados"),
            m.MeetingNoteEdit.ADD_AGENDA_ITEM(key="g2", title="Campaña de invierno"),
            m.MeetingNoteEdit.MOVE_AGENDA_ITEM(key="g2", after=None, before="g1"),
            m.MeetingNoteEdit.SUBMIT_CONTACT_REPORT(),
        ],
    )
    assert [g.key for g in n.agenda] == ["g2", "g1"]
    assert n.contact_report_status == m.ContactReportStatus.IN_REVIEW
    store.edit_text(nid, m.TextField.MEETING_BODY(), edit(0, 0, "Acuerdos: 🍷 promo 2x1"))
    assert store.get_meeting_note(nid).body == "Acuerdos: 🍷 promo 2x1"

    a = store.update_action_item(
        aid,
        [m.ActionItemEdit.ADVANCE(status=m.ActionItemStatus.DONE), m.ActionItemEdit.ADD_COMMENT(key="c1", author="user-luis", at=NOW, text="Enviada ✔")],
    )
    assert (a.status, a.source_doc_id, a.comments[0].text) == (m.ActionItemStatus.DONE, nid, "Enviada ✔")


def test_sync_status_is_defined_for_the_ui():
    assert {s.name for s in m.SyncStatus} == {"ONLY_ON_THIS_PHONE", "SYNCING", "SAVED_ON_SERVER", "REFUSED_BY_SERVER"}
