"""A phone whose document id was taken by someone else, against a real authenticated server: the
app reads the refusal and its reason, the status says "refused by the server", and the content
is re-created under a new id that syncs, with the original kept on the phone."""

import json
import os
import shutil
import subprocess

import pytest

import enlace_mobile as m
from test_bindings import add_line, new_storecheck
from test_sync import server_binary, start_server, wait_until


def admin(binary, data, *args):
    """Runs `enlace-server admin` on the data directory; returns its JSON answer."""
    out = subprocess.run(
        [binary, "admin", "--data", str(data), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def person(binary, data, org_name):
    """An organisation with an account `acme` and one executive on its team; the token."""
    org = admin(binary, data, "create-org", "--name", org_name)["id"]
    user = admin(
        binary, data, "create-user", "--org", org, "--name", "Ejecutiva",
        "--email", "ejecutiva@example.com", "--role", "account_executive",
    )["id"]
    admin(binary, data, "create-account", "--org", org, "--id", "acme", "--name", "Acme")
    admin(binary, data, "add-member", "--org", org, "--account", "acme", "--user", user)
    return admin(binary, data, "issue-token", "--org", org, "--user", user)["token"]


@pytest.fixture
def agency(tmp_path):
    """Two organisations, each with its own account `acme`, and an authenticated server."""
    binary = server_binary()
    data = tmp_path / "server"
    data.mkdir()
    rightful = person(binary, data, "Agencia Andes")
    squatter = person(binary, data, "Agencia Pampa")
    proc, url = start_server(data)
    yield url, rightful, squatter
    proc.terminate()
    proc.wait(timeout=10)


def test_a_taken_id_is_refused_with_a_reason_and_the_content_re_created(tmp_path, agency):
    url, rightful_token, squatter_token = agency

    # Made offline on the rightful phone; its file (hence the id) leaks to the other agency,
    # whose phone syncs it first, into that agency's own `acme`.
    rightful_db = tmp_path / "rightful.db"
    phone = m.EnlaceStore.open(str(rightful_db))
    sid = new_storecheck(phone, account="acme")
    phone.edit_storecheck(sid, [add_line("p1", "Cabernet 750"), m.StorecheckEdit.SET_FACINGS(line="p1", facings=7)])
    del phone
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(f"{rightful_db}{suffix}"):
            shutil.copy(f"{rightful_db}{suffix}", f"{tmp_path / 'squatter.db'}{suffix}")
    squatter = m.EnlaceStore.open(str(tmp_path / "squatter.db"))
    squatter.start_sync(url, squatter_token)
    saved = wait_until(lambda: squatter.sync_status(sid) == m.SyncStatus.SAVED_ON_SERVER)
    refusal = squatter.sync_refusal(sid)
    assert saved, refusal and (refusal.code, refusal.message)
    squatter.stop_sync()

    phone = m.EnlaceStore.open(str(rightful_db))
    assert phone.sync_refusal(sid) is None
    phone.start_sync(url, rightful_token)
    assert wait_until(lambda: phone.sync_refusal(sid) is not None)
    refusal = phone.sync_refusal(sid)
    assert refusal.code == "id_unavailable"
    assert refusal.needs_new_id
    assert "new id" in refusal.message
    assert phone.sync_status(sid) == m.SyncStatus.REFUSED_BY_SERVER

    fresh = phone.recreate_under_new_id(sid)
    assert fresh != sid
    assert wait_until(lambda: phone.sync_status(fresh) == m.SyncStatus.SAVED_ON_SERVER)
    copy = phone.get_storecheck(fresh)
    original = phone.get_storecheck(sid)
    assert copy.id == fresh
    assert copy.lines == original.lines
    assert copy.lines["p1"].facings == 7
    phone.stop_sync()

    with pytest.raises(m.EnlaceError.InvalidValue):
        phone.recreate_under_new_id("not-a-document-id")
