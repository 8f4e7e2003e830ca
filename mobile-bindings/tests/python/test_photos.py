"""Photos from the app through a real authenticated server: one phone attaches a photo from the
camera's file to a storecheck, it uploads, and a teammate's phone reads it back byte for byte;
bytes that are not an image are refused with nothing written."""

import hashlib
import os

import pytest

import enlace_mobile as m
from test_bindings import new_storecheck
from test_commands import agency, phone  # noqa: F401 (agency is a fixture)
from test_sync import wait_until


def new_photo(pid):
    return m.NewPhoto(id=pid, width=1600, height=1200, taken_at=None, geo=None,
                      kind=m.PhotoKind.SHELF, caption="Góndola de tintos")


def test_a_photo_reaches_a_teammate(tmp_path, agency):
    url, tokens = agency
    ae = phone(tmp_path, "ae", url, tokens["ejecutiva"])
    sid = new_storecheck(ae, account="acme")
    camera = tmp_path / "IMG_0001.jpg"
    data = b"\xff\xd8\xff\xe0" + os.urandom(400_000)
    camera.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()

    ref = ae.attach_storecheck_photo(sid, str(camera), new_photo("ph-1"), None)
    assert (ref.sha256, ref.mime, ref.bytes) == (sha, "image/jpeg", len(data))
    assert ae.get_storecheck(sid).photos["ph-1"] == ref
    camera.unlink()  # the store keeps its own copy
    assert wait_until(lambda: ae.photo_status(sha) == m.PhotoStatus.ON_SERVER()), ae.photo_status(sha)
    assert ae.pending_photos() == m.PendingPhotos(count=0, bytes=0)
    with open(ae.photo_path(sha, 1000), "rb") as f:
        assert f.read() == data

    mate = phone(tmp_path, "mate", url, tokens["directora"])
    mate.fetch(sid)
    assert wait_until(lambda: _photos(mate, sid) == 1)
    assert mate.photo_status(sha) == m.PhotoStatus.ELSEWHERE()
    with open(mate.photo_path(sha, 60_000), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha

    with pytest.raises(m.EnlaceError.InvalidValue):
        ae.attach_storecheck_photo_bytes(sid, b"%PDF-1.7", new_photo("ph-2"), None)
    assert list(ae.get_storecheck(sid).photos) == ["ph-1"]
    with pytest.raises(m.EnlaceError.InvalidValue):
        ae.photo_status("not-a-hash")
    for store in [ae, mate]:
        store.stop_sync()


def _photos(store, sid):
    try:
        return len(store.get_storecheck(sid).photos)
    except m.EnlaceError.NotFound:
        return 0
