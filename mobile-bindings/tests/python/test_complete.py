"""Complete documents through a real enlace-server: a storecheck with every collection (own and
competitor lines, a category block, POP items, an issue followed up by an action item, a photo)
and its KPIs, and a meeting note with agenda, decisions, open questions, action item refs and a
contact-report distribution list. Both are written on one phone and read, value for value, on a
second one."""

import enlace_mobile as m
from test_bindings import NOW, add_line, edit, line_note, new_storecheck, notes
from test_sync import PATIENCE, server, wait_until  # noqa: F401 (server is a fixture)

CLP = "CLP"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PHOTO = m.PhotoRef(
    id="ph-1",
    sha256=SHA,
    mime="image/jpeg",
    bytes=1_843_200,
    width=3024,
    height=4032,
    taken_at=NOW,
    geo=m.GeoPoint(lat=-33.417, lon=-70.606, accuracy_m=6.5),
    kind=m.PhotoKind.SHELF,
    caption="Góndola de tintos",
    deleted=False,
)


def clp(amount):
    return m.Money(amount_minor=amount, currency=CLP)


def competitor(key, name, facings, price):
    return [
        m.StorecheckEdit.ADD_COMPETITOR_LINE(
            key=key, product=m.ProductSnapshot(gtin="779" + key, name=name, brand="Otra Viña", is_own=False)
        ),
        m.StorecheckEdit.SET_COMPETITOR_FACINGS(line=key, facings=facings),
        m.StorecheckEdit.SET_COMPETITOR_SHELF_PRICE(line=key, price=clp(price)),
    ]


def fill_storecheck(phone):
    """A storecheck as an executive fills it in the store, and the action item its issue raises.
    Returns (storecheck id, action item id)."""
    sid = new_storecheck(phone)
    S = m.StorecheckEdit
    phone.edit_storecheck(
        sid,
        [
            S.CHECK_IN(check_in=m.CheckIn(at=NOW, geo=m.GeoPoint(lat=-33.417, lon=-70.606, accuracy_m=8.0), method=m.CheckInMethod.GPS, manual_reason=None)),
            # Own lines: p1 on the shelf and right, p2 out of stock, p3 short and too expensive.
            add_line("p1", "Cabernet Sauvignon 750"),
            S.SET_PRESENCE(line="p1", presence=m.Presence.PRESENT),
            S.SET_FACINGS(line="p1", facings=7),
            S.SET_SHELF_PRICE(line="p1", price=clp(4790)),
            S.SET_SHELF_LEVEL(line="p1", level=m.ShelfLevel.EYE),
            S.SET_LOCATION(line="p1", location=m.ShelfLocation.SHELF),
            S.SET_PLANOGRAM(line="p1", planogram=m.Planogram.COMPLIANT),
            S.SET_PRICE_TAG(line="p1", price_tag=m.PriceTag.OK),
            S.SET_PROMO(line="p1", promo=m.Promo(active=True, price=clp(3990), mechanic="2x1 fin de semana")),
            S.SET_EXPIRY_NEAREST(line="p1", date="2026-03-01"),
            line_note("p1", 0, 0, "Bien ubicado, cerca de la cabecera 👍"),
            add_line("p2", "Carménère 750"),
            S.SET_PRESENCE(line="p2", presence=m.Presence.OOS),
            S.SET_FACINGS(line="p2", facings=0),
            add_line("p3", "Merlot Reserva 750"),
            S.SET_PRESENCE(line="p3", presence=m.Presence.PRESENT),
            S.SET_FACINGS(line="p3", facings=3),
            S.SET_SHELF_PRICE(line="p3", price=clp(5290)),
            S.SET_PRICE_TAG(line="p3", price_tag=m.PriceTag.WRONG),
            # Competitors: on the shelf, never in the own share.
            *competitor("c1", "Tarapacá Cabernet 750", 12, 3990),
            *competitor("c2", "Santa Rita 120 Merlot", 5, 3490),
            S.SET_COMPETITOR_PROMO(line="c1", promo=m.Promo(active=True, price=None, mechanic="Lleve 3 pague 2")),
            # The category: 40 facings of red wine, the share-of-shelf denominator.
            S.ADD_CATEGORY_BLOCK(key="vinos-tintos", name="Vinos tintos", total_facings=None),
            S.SET_CATEGORY_FACINGS(block="vinos-tintos", total_facings=40),
            # POP: the expected wobbler is there; an unexpected floor display is not.
            S.ADD_POP_ITEM(key="wobbler", name="Wobbler Viña Sur", expected=True),
            S.SET_POP_PRESENT(item="wobbler", present=True),
            S.SET_POP_CONDITION(item="wobbler", condition=m.PopCondition.GOOD),
            S.ADD_POP_ITEM(key="exhibidor", name="Exhibidor de piso", expected=False),
            S.SET_POP_PRESENT(item="exhibidor", present=False),
            # The issue the OOS line raises.
            S.RAISE_ISSUE(key="i1", issue_type=m.IssueType.OOS, severity=m.Severity.MEDIUM, line="p2", description="Quiebre de Carménère"),
            S.SET_ISSUE_SEVERITY(issue="i1", severity=m.Severity.HIGH),
            S.EDIT_ISSUE_DESCRIPTION(issue="i1", edit=edit(20, 0, " en góndola 😕")),
            # The shelf photo, attached to p1.
            S.ADD_PHOTO(photo=PHOTO, line="p1"),
            notes(0, 0, "Tienda ordenada; falta Carménère ❗"),
        ],
    )
    aid = phone.create_action_item(
        m.NewActionItem(
            account_id="acc-vina",
            created_by="user-ana",
            created_at=NOW,
            source=m.Source(kind=m.SourceKind.STORECHECK, doc_id=sid),
            title="Reponer Carménère en Jumbo Costanera",
            owner="user-luis",
        )
    )
    phone.edit_action_item(
        aid,
        [
            m.ActionItemEdit.SET_PRIORITY(priority=m.Priority.HIGH),
            m.ActionItemEdit.SET_DUE_DATE(due_date=m.Instant(utc_ms=NOW.utc_ms + 2 * 86_400_000, zone=NOW.zone)),
            m.ActionItemEdit.EDIT_DESCRIPTION(edit=edit(0, 0, "Pedir reposición al centro de distribución")),
        ],
    )
    phone.edit_storecheck(
        sid,
        [
            S.LINK_ISSUE_ACTION_ITEM(issue="i1", action_item_id=aid),
            S.CHECK_OUT(at=m.Instant(utc_ms=NOW.utc_ms + 45 * 60_000, zone=NOW.zone)),
            S.SUBMIT(),
        ],
    )
    return sid, aid


def check_storecheck(sc, sid, aid):
    assert sc.id == sid
    assert sc.status == m.StorecheckStatus.SUBMITTED
    assert sc.check_in.method == m.CheckInMethod.GPS
    assert sc.check_out.utc_ms == NOW.utc_ms + 45 * 60_000
    assert sc.general_notes == "Tienda ordenada; falta Carménère ❗"

    assert sorted(sc.lines) == ["p1", "p2", "p3"]
    p1 = sc.lines["p1"]
    assert (p1.presence, p1.facings, p1.shelf_price, p1.shelf_level) == (m.Presence.PRESENT, 7, clp(4790), m.ShelfLevel.EYE)
    assert (p1.location, p1.planogram, p1.price_tag) == (m.ShelfLocation.SHELF, m.Planogram.COMPLIANT, m.PriceTag.OK)
    assert p1.promo == m.Promo(active=True, price=clp(3990), mechanic="2x1 fin de semana")
    assert p1.expiry_nearest == "2026-03-01"
    assert p1.note == "Bien ubicado, cerca de la cabecera 👍"
    assert p1.photo_ids == ["ph-1"]
    assert sc.lines["p2"].presence == m.Presence.OOS
    assert sc.lines["p3"].product.name == "Merlot Reserva 750"

    assert sorted(sc.competitor_lines) == ["c1", "c2"]
    c1 = sc.competitor_lines["c1"]
    assert (c1.product.is_own, c1.facings, c1.shelf_price) == (False, 12, clp(3990))
    assert c1.promo.mechanic == "Lleve 3 pague 2"
    assert sc.category_blocks == {"vinos-tintos": m.CategoryBlock(name="Vinos tintos", total_facings=40, deleted=False)}
    assert sc.pop_items["wobbler"] == m.PopItem(name="Wobbler Viña Sur", expected=True, present=True, condition=m.PopCondition.GOOD, deleted=False)
    assert sc.pop_items["exhibidor"].present is False

    assert sc.issues == {
        "i1": m.Issue(
            issue_type=m.IssueType.OOS,
            severity=m.Severity.HIGH,
            line_key="p2",
            description="Quiebre de Carménère en góndola 😕",
            action_item_id=aid,
            deleted=False,
        )
    }
    assert sc.photos == {"ph-1": PHOTO}

    # OOS rate: of the 3 must-stock lines seen, p2 is out. Share of shelf: own facings on the
    # shelf (7 + 3; the competitors' 17 do not count) over the category block's 40. Price
    # compliance: p1 at or under its target, p3 over it. Perfect-store score: the mean of
    # in stock 2/3, facings on target 1/3, price 1/2, planogram 1/1 and expected POP 1/1 = 70.
    assert sc.kpis == m.Kpis(
        oos_rate=m.Ratio(numerator=1, denominator=3),
        share_of_shelf=m.Ratio(numerator=10, denominator=40),
        price_compliance=m.Ratio(numerator=1, denominator=2),
        perfect_store_score=70,
    )


def fill_meeting_note(phone, storecheck_item):
    """A meeting note with every list, and the action item it decides on. Returns (note id,
    its own action item id)."""
    nid = phone.create_meeting_note(
        m.NewMeetingNote(account_id="acc-vina", created_by="user-ana", created_at=NOW, meeting_kind=m.MeetingKind.CLIENT_MEETING, title="Revisión trimestral Viña Sur")
    )
    aid = phone.create_action_item(
        m.NewActionItem(
            account_id="acc-vina",
            created_by="user-ana",
            created_at=NOW,
            source=m.Source(kind=m.SourceKind.MEETING_NOTE, doc_id=nid),
            title="Enviar propuesta de campaña de invierno",
            owner="user-ana",
        )
    )
    E = m.MeetingNoteEdit
    phone.edit_meeting_note(
        nid,
        [
            E.SET_STARTED_AT(at=NOW),
            E.SET_ENDED_AT(at=m.Instant(utc_ms=NOW.utc_ms + 3_600_000, zone=NOW.zone)),
            E.SET_LOCATION(location="Oficinas Viña Sur, Vitacura"),
            E.ADD_ATTENDEE(key="a1", party=m.Party.CLIENT, person_id="ct-mjn", name="María José Núñez", title="Brand manager", attendance=m.Attendance.ATTENDED),
            E.ADD_ATTENDEE(key="a2", party=m.Party.AGENCY, person_id="user-ana", name="Ana Pérez", title="Ejecutiva de cuentas", attendance=m.Attendance.ATTENDED),
            # Agenda: g1, g2 at the end, g3 put first, then g2 dragged before g1.
            E.ADD_AGENDA_ITEM(key="g1", title="Resultados del trimestre", owner="a2", after=None, before=None),
            E.ADD_AGENDA_ITEM(key="g2", title="Campaña de invierno ❄", owner="a1", after=None, before=None),
            E.ADD_AGENDA_ITEM(key="g3", title="Quiebres en Jumbo", owner=None, after=None, before="g1"),
            E.MOVE_AGENDA_ITEM(item="g2", after="g3", before="g1"),
            E.SET_AGENDA_STATE(item="g1", state=m.AgendaState.DISCUSSED),
            E.SET_AGENDA_STATE(item="g2", state=m.AgendaState.DEFERRED),
            E.ADD_DECISION(key="d1", text="Promo 2x1 en junio 🍷", after=None, before=None),
            E.ADD_DECISION(key="d2", text="Reposición semanal en Jumbo", after=None, before="d1"),
            E.EDIT_DECISION_TEXT(decision="d1", edit=edit(0, 5, "Oferta")),
            E.ADD_DECISION_AGREED_BY(decision="d1", attendee="a1"),
            E.ADD_DECISION_AGREED_BY(decision="d1", attendee="a2"),
            E.ADD_OPEN_QUESTION(key="q1", text="¿Hay stock para el sur?", after=None, before=None),
            E.ADD_OPEN_QUESTION(key="q2", text="¿Quién aprueba el presupuesto?", after="q1", before=None),
            E.ADD_ACTION_ITEM(action_item_id=aid, after=None, before=None),
            E.ADD_ACTION_ITEM(action_item_id=storecheck_item, after=None, before=aid),
            E.ADD_RECIPIENT(key="r1", name="María José Núñez", email="mjnunez@vinasur.cl", party=m.Party.CLIENT, reason=m.RecipientReason.ATTENDEE),
            E.ADD_RECIPIENT(key="r2", name="Jorge Díaz", email="jdiaz@vinasur.cl", party=m.Party.CLIENT, reason=m.RecipientReason.SUPERIOR),
            E.ADD_RECIPIENT(key="r3", name="Trade marketing", email="trade@vinasur.cl", party=m.Party.CLIENT, reason=m.RecipientReason.DEPARTMENT),
            E.EDIT_BODY(edit=edit(0, 0, "Revisamos resultados 📈 y la campaña.")),
            E.EDIT_INTERNAL_NOTES(edit=edit(0, 0, "El cliente está molesto por los quiebres")),
            E.SUBMIT_CONTACT_REPORT(),
        ],
    )
    return nid, aid


def in_order(entries):
    """Keys of an ordered list as an app shows it: by order key (ASCII), ties by key."""
    return [k for k, _ in sorted(entries.items(), key=lambda kv: (kv[1].order, kv[0]))]


def check_meeting_note(n, nid, aid, storecheck_item):
    assert n.id == nid
    assert n.account_id == "acc-vina"
    assert n.location == "Oficinas Viña Sur, Vitacura"
    assert n.body == "Revisamos resultados 📈 y la campaña."
    assert n.internal_notes == "El cliente está molesto por los quiebres"
    assert {k: a.name for k, a in n.attendees.items()} == {"a1": "María José Núñez", "a2": "Ana Pérez"}

    assert in_order(n.agenda) == ["g3", "g2", "g1"]
    assert {k: (a.title, a.owner, a.state) for k, a in n.agenda.items()} == {
        "g1": ("Resultados del trimestre", "a2", m.AgendaState.DISCUSSED),
        "g2": ("Campaña de invierno ❄", "a1", m.AgendaState.DEFERRED),
        "g3": ("Quiebres en Jumbo", None, m.AgendaState.OPEN),
    }
    assert in_order(n.decisions) == ["d2", "d1"]
    assert n.decisions["d1"].text == "Oferta 2x1 en junio 🍷"
    assert sorted(n.decisions["d1"].agreed_by) == ["a1", "a2"]
    assert in_order(n.open_questions) == ["q1", "q2"]
    assert n.open_questions["q1"].text == "¿Hay stock para el sur?"
    assert in_order(n.action_item_ids) == [storecheck_item, aid]

    report = n.contact_report
    assert report.status == m.ContactReportStatus.IN_REVIEW
    assert (report.report_no, report.sent_at) == (None, None)
    assert {k: (r.email, r.reason) for k, r in report.distribution.items()} == {
        "r1": ("mjnunez@vinasur.cl", m.RecipientReason.ATTENDEE),
        "r2": ("jdiaz@vinasur.cl", m.RecipientReason.SUPERIOR),
        "r3": ("trade@vinasur.cl", m.RecipientReason.DEPARTMENT),
    }


def test_complete_documents_reach_a_second_phone_with_the_same_values(tmp_path, server):
    a = m.EnlaceStore.open(str(tmp_path / "a.db"))
    sid, sc_item = fill_storecheck(a)
    nid, note_item = fill_meeting_note(a, sc_item)
    docs = [sid, sc_item, nid, note_item]

    written = a.get_storecheck(sid)
    check_storecheck(written, sid, sc_item)
    assert a.storecheck_kpis(sid) == written.kpis
    assert a.storecheck_line(sid, "p1") == written.lines["p1"]
    item = a.get_action_item(sc_item)
    assert item.source == m.Source(kind=m.SourceKind.STORECHECK, doc_id=sid)
    assert (item.priority, item.description) == (m.Priority.HIGH, "Pedir reposición al centro de distribución")
    note = a.get_meeting_note(nid)
    check_meeting_note(note, nid, note_item, sc_item)

    a.start_sync(server, None)
    assert wait_until(lambda: all(a.sync_status(d) == m.SyncStatus.SAVED_ON_SERVER for d in docs))

    b = m.EnlaceStore.open(str(tmp_path / "b.db"))
    b.start_sync(server, None)

    def arrived():
        try:
            return (
                b.get_storecheck(sid) == written
                and b.get_meeting_note(nid) == note
                and b.get_action_item(sc_item) == item
                and b.get_action_item(note_item) == a.get_action_item(note_item)
            )
        except m.EnlaceError.NotFound:
            return False

    assert wait_until(arrived, PATIENCE), "every document reached the second phone, value for value"
    on_b = b.get_storecheck(sid)
    check_storecheck(on_b, sid, sc_item)
    assert b.storecheck_kpis(sid) == written.kpis
    check_meeting_note(b.get_meeting_note(nid), nid, note_item, sc_item)
    # The issue's follow-up is there too, and points back at the storecheck.
    assert b.get_action_item(on_b.issues["i1"].action_item_id).source.doc_id == sid
    assert {d.id for d in b.list(None)} == set(docs)
    a.stop_sync()
    b.stop_sync()


def test_an_issue_and_its_action_item_are_stored_together_or_not_at_all():
    phone = m.EnlaceStore.open_in_memory()
    sid = new_storecheck(phone)
    phone.edit_storecheck(sid, [add_line("p1", "Carménère 750")])
    follow_up = m.NewActionItem(
        account_id="acc-vina",
        created_by="user-ana",
        created_at=NOW,
        source=m.Source(kind=m.SourceKind.STORECHECK, doc_id=sid),
        title="Reponer Carménère",
        owner="user-luis",
    )
    aid = phone.raise_issue_with_action_item(
        sid, "i1", m.IssueType.OOS, m.Severity.HIGH, "p1", "Quiebre de stock", follow_up
    )
    issue = phone.get_storecheck(sid).issues["i1"]
    assert issue.action_item_id == aid and issue.line_key == "p1"
    assert phone.get_action_item(aid).title == "Reponer Carménère"

    # About a line that does not exist: refused, and no action item is left behind.
    before = {d.id for d in phone.list(None)}
    try:
        phone.raise_issue_with_action_item(
            sid, "i2", m.IssueType.OOS, m.Severity.LOW, "nope", "Otro quiebre", follow_up
        )
        raise AssertionError("an issue about an unknown line was accepted")
    except m.EnlaceError.NotFound:
        pass
    assert {d.id for d in phone.list(None)} == before
    assert "i2" not in phone.get_storecheck(sid).issues
