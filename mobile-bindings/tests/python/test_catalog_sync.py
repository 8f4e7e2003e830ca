"""Reference data from a real server: an admin imports stores, products, an assortment and
contacts with `enlace-server admin reference import`; the executive's phone receives the
account's catalog, lists its stores, creates a storecheck from a store's assortment, fills it
and syncs it to the director's phone; a person of another organisation never receives it."""

import time

import pytest

import enlace_mobile as m
from test_bindings import NOW
from test_commands import phone, seed_agency
from test_refusal import admin
from test_sync import server_binary, start_server, wait_until

FILES = {
    "stores": "code,name,chain,format,address,region,lat,lon,cluster\n"
              "J042,Jumbo Costanera,Jumbo,hiper,Av. Andrés Bello 2425,RM,-33.417,-70.606,grandes\n"
              "L007,Líder Ñuñoa,Líder,express,Irarrázaval 3000,RM,,,\n",
    "products": "gtin,name,brand,category,owner_account\n"
                "7801234567894,Cabernet Reserva Tritón,Viña Sur,Vinos tintos,acme\n"
                "7801234567887,Carménère Gran Reserva 🍷,Viña Sur,Vinos tintos,acme\n"
                "7809876543214,Tinto de la competencia,Otra,Vinos tintos,\n",
    "assortments": "account,store,gtin,must_stock,target_facings,target_price,currency\n"
                   "acme,J042,7801234567894,true,6,4990,CLP\n"
                   "acme,J042,7801234567887,yes,4,6990,CLP\n"
                   "acme,J042,7809876543214,no,,,\n",
    "contacts": "account,id,name,title,email\n"
                "acme,c-1,María José Núñez,Brand Manager,mjnunez@acme.example\n",
}


@pytest.fixture
def catalog_agency(tmp_path):
    """The organisation of `test_commands.agency`, with reference data imported before the
    server starts (the server writes the catalogs of the accounts the imports changed)."""
    binary = server_binary()
    data = tmp_path / "server"
    data.mkdir()
    org, tokens = seed_agency(binary, data)
    for kind in ["stores", "products", "assortments", "contacts"]:
        path = tmp_path / f"{kind}.csv"
        path.write_text(FILES[kind], encoding="utf-8")
        answer = admin(binary, data, "reference", "import", "--org", org, "--kind", kind,
                       "--file", str(path))
        assert answer["changed"] >= 1, answer
    proc, url = start_server(data)
    yield url, tokens
    proc.terminate()
    proc.wait(timeout=10)


def test_a_storecheck_from_the_assortment_reaches_the_director(tmp_path, catalog_agency):
    url, tokens = catalog_agency
    ae = phone(tmp_path, "ae", url, tokens["ejecutiva"])
    assert wait_until(lambda: ae.catalog_version("acme") is not None)
    names = sorted(s.store.name for s in ae.stores_of_my_accounts())
    assert names == ["Jumbo Costanera"], "only the stores of the account's assortment"
    assert [p.name for p in ae.search_products("acme", "carmenere", 10)] == [
        "Carménère Gran Reserva 🍷"
    ]
    assert [c.email for c in ae.contacts("acme")] == ["mjnunez@acme.example"]

    sid = ae.create_storecheck_from_assortment("acme", "J042", "user-ana", NOW)
    sc = ae.get_storecheck(sid)
    assert sc.store.name == "Jumbo Costanera"
    assert sc.catalog_version == str(ae.catalog_version("acme"))
    own = sc.lines["7801234567894"]
    assert own.product.name == "Cabernet Reserva Tritón" and own.product.is_own
    assert own.expected.target_facings == 6
    assert own.expected.target_price == m.Money(amount_minor=4990, currency="CLP")
    ae.edit_storecheck(sid, [
        m.StorecheckEdit.SET_PRESENCE(line="7801234567894", presence=m.Presence.PRESENT),
        m.StorecheckEdit.SET_FACINGS(line="7801234567894", facings=5),
        m.StorecheckEdit.SET_PRESENCE(line="7801234567887", presence=m.Presence.OOS),
    ])

    director = phone(tmp_path, "dir", url, tokens["directora"])
    director.fetch(sid)
    assert wait_until(lambda: _facings(director, sid, "7801234567894") == 5)
    seen = director.get_storecheck(sid)
    assert seen.lines["7801234567887"].presence == m.Presence.OOS
    assert seen.catalog_version == sc.catalog_version

    outsider = phone(tmp_path, "ajena", url, tokens["ajena"])
    assert wait_until(outsider.is_connected)
    time.sleep(1)  # time for a catalog to arrive, were it (wrongly) sent
    assert outsider.catalog_version("acme") is None
    assert outsider.stores_of_my_accounts() == []
    for store in [ae, director, outsider]:
        store.stop_sync()


def _facings(store, sid, line):
    try:
        return store.get_storecheck(sid).lines[line].facings
    except (m.EnlaceError.NotFound, KeyError):
        return None
