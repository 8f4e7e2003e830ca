"""Reference data on the phone through the bindings, offline: a catalog stored as if it had
synced (the `debug_store_catalog` test hook), then stores, search, contacts, the week's plan, a
storecheck from an assortment and a contact into a distribution list."""

import json

import pytest

import enlace_mobile as m

NOW = m.Instant(utc_ms=1_765_100_000_000, zone="America/Santiago")
CATALOG_ID = "2APp62HLhx67PjH7Xzc5Qu6iPa6x"
ACCOUNT = "acc-vina"


def product(gtin, name, category, is_own=True):
    return {"gtin": gtin, "name": name, "brand": "Viña Sur" if is_own else "Otra",
            "category": category, "is_own": is_own}


def catalog_json():
    products = [
        product("7801", "Cabernet Reserva Tritón", "Vinos tintos"),
        product("7802", "Carménère Gran Reserva", "Vinos tintos"),
        product("7803", "Sauvignon Blanc", "Vinos blancos"),
        product("9901", "Competidor Tinto", "Vinos tintos", is_own=False),
    ]
    target = {"must_stock": True, "target_facings": 6,
              "target_price": {"amount_minor": 4990, "currency": "CLP"}}
    return json.dumps({
        "id": CATALOG_ID, "account_id": ACCOUNT, "version": 3, "updated_ms": 0,
        "stores": {
            "J042": {"id": "store-42", "code": "J042", "name": "Jumbo Costanera", "chain": "Jumbo",
                     "format": "hiper", "address": "Av. Andrés Bello 2425", "region": "RM",
                     "geo": None},
            "L007": {"id": "store-7", "code": "L007", "name": "Líder Ñuñoa", "chain": "Líder",
                     "format": "express", "address": "Irarrázaval 3000", "region": "RM",
                     "geo": None},
        },
        "products": {p["gtin"]: p for p in products},
        "assortment": {"J042": {p["gtin"]: target for p in products}},
        "contacts": {"c-1": {"id": "c-1", "name": "María José Núñez", "title": "Brand Manager",
                             "email": "mjnunez@vinasur.cl"}},
        "visit_plans": {"p-1": {"id": "p-1", "user_id": "user-ana", "store_code": "J042",
                                "weekday": "wednesday", "every_weeks": 1,
                                "starts_on": "2026-12-07", "ends_on": None,
                                "note": "revisar góndola"}},
        "deleted": False,
    })


@pytest.fixture
def store():
    s = m.EnlaceStore.open_in_memory()
    assert s.catalog_version(ACCOUNT) is None
    m.debug_store_catalog(s, catalog_json())
    return s


def test_stores_search_and_contacts(store):
    assert store.catalog_version(ACCOUNT) == 3
    names = [s.store.name for s in store.stores_of_my_accounts()]
    assert names == ["Jumbo Costanera", "Líder Ñuñoa"]
    assert [p.gtin for p in store.search_products(ACCOUNT, "carmenere", 10)] == ["7802"]
    assert [p.name for p in store.search_products(ACCOUNT, "7801", 10)] == ["Cabernet Reserva Tritón"]
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.search_products(ACCOUNT, "x", 0)
    with pytest.raises(m.EnlaceError.NotFound):
        store.search_products("acc-otra", "x", 10)
    assert [c.name for c in store.contacts(ACCOUNT)] == ["María José Núñez"]


def test_storecheck_from_assortment(store):
    doc = store.create_storecheck_from_assortment(ACCOUNT, "J042", "user-ana", NOW)
    sc = store.get_storecheck(doc)
    assert sc.catalog_version == "3"
    assert sc.store.name == "Jumbo Costanera"
    assert sorted(sc.lines) == ["7801", "7802", "7803"]
    assert sc.lines["7801"].expected.target_facings == 6
    assert list(sc.competitor_lines) == ["9901"]
    assert sorted(b.name for b in sc.category_blocks.values()) == ["Vinos blancos", "Vinos tintos"]
    with pytest.raises(m.EnlaceError.NotFound):
        store.create_storecheck_from_assortment(ACCOUNT, "NOPE", "user-ana", NOW)
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.create_storecheck_from_assortment(ACCOUNT, "L007", "user-ana", NOW)


def test_week_and_distribution_list(store):
    week = store.visit_plan_week("user-ana", "2026-12-10")
    assert [(v.date, v.store.code, v.note) for v in week] == [("2026-12-09", "J042", "revisar góndola")]
    with pytest.raises(m.EnlaceError.InvalidValue):
        store.visit_plan_week("user-ana", "10/12/2026")
    note = store.create_meeting_note(m.NewMeetingNote(
        account_id=ACCOUNT, created_by="user-ana", created_at=NOW,
        meeting_kind=m.MeetingKind.CLIENT_MEETING, title="Revisión mensual"))
    key = store.add_recipient_from_contact(note, "c-1", m.RecipientReason.ATTENDEE)
    recipient = store.get_meeting_note(note).contact_report.distribution[key]
    assert (recipient.name, recipient.email, recipient.party) == (
        "María José Núñez", "mjnunez@vinasur.cl", m.Party.CLIENT)
    with pytest.raises(m.EnlaceError.AlreadyExists):
        store.add_recipient_from_contact(note, "c-1", m.RecipientReason.SUPERIOR)
    with pytest.raises(m.EnlaceError.NotFound):
        store.add_recipient_from_contact(note, "c-9", m.RecipientReason.ATTENDEE)
