"""Sync through a real enlace-server: a storecheck made offline on one phone reaches a second
phone, whose observer fires; statuses move from "only on this phone" to "saved on the server"."""

import os
import re
import subprocess
import threading
import time

import pytest

import enlace_mobile as m
from test_bindings import add_line, new_storecheck, notes

PATIENCE = 60


def server_binary():
    binary = os.environ.get("ENLACE_SERVER_BIN")
    if not binary:
        pytest.fail("ENLACE_SERVER_BIN is not set: run mobile-bindings/tests/run.sh")
    return binary


def start_server(data, *flags):
    """Starts enlace-server on a free loopback port over `data`; returns the process and its
    websocket URL. The caller stops it."""
    proc = subprocess.Popen(
        [server_binary(), "serve", *flags, "--listen", "127.0.0.1:0", "--data", str(data)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUST_LOG": "info"},
    )
    addr = None
    for line in proc.stderr:
        found = re.search(r"enlace-server listening.*addr=(\S+)", line)
        if found:
            addr = found.group(1)
            break
    if addr is None:
        proc.kill()
        pytest.fail("the server did not report its address")
    # Keep draining its log so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    return proc, f"ws://{addr}/v1/sync"


@pytest.fixture
def server(tmp_path):
    proc, url = start_server(tmp_path / "server", "--insecure-open")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def wait_until(condition, timeout=PATIENCE):
    """Re-checks `condition` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Arrivals(m.DocumentObserver):
    def __init__(self, doc):
        self.doc = doc
        self.event = threading.Event()
        self.threads = set()

    def on_change(self, ids):
        if self.doc in ids:
            self.threads.add(threading.get_ident())
            self.event.set()


def test_a_storecheck_made_offline_reaches_a_second_phone(tmp_path, server):
    a = m.EnlaceStore.open(str(tmp_path / "a.db"))
    sid = new_storecheck(a)
    a.edit_storecheck(
        sid,
        [add_line("p1", "Cabernet 750"), m.StorecheckEdit.SET_FACINGS(line="p1", facings=7), notes(0, 0, "Góndola ñ 😀")],
    )
    assert a.sync_status(sid) == m.SyncStatus.ONLY_ON_THIS_PHONE
    with pytest.raises(m.EnlaceError.Sync):
        a.pending_count()

    a.start_sync(server, None)
    assert wait_until(lambda: a.sync_status(sid) == m.SyncStatus.SAVED_ON_SERVER)
    assert a.pending_count() == 0

    b = m.EnlaceStore.open(str(tmp_path / "b.db"))
    arrived = Arrivals(sid)
    b.add_observer(arrived)
    b.start_sync(server, None)
    assert arrived.event.wait(PATIENCE), "the storecheck reached the second phone"
    assert threading.get_ident() not in arrived.threads, "observers run on the sync thread"
    sc = b.get_storecheck(sid)
    assert sc.lines["p1"].facings == 7
    assert sc.general_notes == "Góndola ñ 😀"
    assert wait_until(lambda: b.sync_status(sid) == m.SyncStatus.SAVED_ON_SERVER)

    # And back, live: a recount on the second phone reaches the first.
    back = Arrivals(sid)
    a.add_observer(back)
    b.edit_storecheck(sid, [m.StorecheckEdit.SET_FACINGS(line="p1", facings=8)])
    assert back.event.wait(PATIENCE)
    assert wait_until(lambda: a.storecheck_line(sid, "p1").facings == 8)
    a.stop_sync()
    b.stop_sync()
    assert not a.is_connected()
    # Status survives without a running client.
    assert a.sync_status(sid) == m.SyncStatus.SAVED_ON_SERVER
