"""The local cache at rest (H11.3, H1.8): encrypted under a key in the OS keyring; converted
from plaintext; rebuilt when the key is lost; never written in plaintext without a keyring."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import keyring.backends.fail
import pytest
import qasync

from app.i18n import Tr
from app.models import cipher
from app.models.cipher import CacheKey
from app.models.store import SCHEMA_VERSION, open_store, profile_dir
from app.services.credentials import CACHE_SERVICE
from app.sync import outbox
from app.ui.cache_notice import recovery_text
from tests.client.test_shared_wipe import _customer_with_phone, files_containing
from tests.support.api import VisitorClient
from tests.support.client_side import Desk, MemoryKeyring, eventually
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _decrypted_dump(path: Path, secret: bytes) -> str:
    """Every row of every ordinary table, read through the key."""
    conn = cipher.connect(path, secret)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE "
            "VIRTUAL%'")]
        return "\n".join(str(row) for table in tables
                         for row in conn.execute(f'SELECT * FROM "{table}"'))
    finally:
        conn.close()


def _plain_sqlite_reads(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlite3.DatabaseError:
        return False


def test_a_synced_cache_holds_no_customer_text_and_opens_only_with_the_keyring_key(
    ui_server: ServerProcess, ui_world: World, tmp_path: Path
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    nickname, phone = f"加密顾客{uuid.uuid4().hex[:4]}", f"139{uuid.uuid4().int % 10**8:08d}"
    order_no = _customer_with_phone(ui_world, company, nickname, phone)
    said = f"请改地址：文三路{uuid.uuid4().int % 1000}号，电话 {phone}"
    visitor = VisitorClient(ui_server.url, nickname, company=company.domain, order_no=order_no)
    assert visitor.send(said).status_code == 200
    ring = MemoryKeyring()
    desk = Desk(ui_server.url, tmp_path, keyring_backend=ring)
    try:
        runtime = desk.sign_in(agent.account, PASSWORD)
        eventually(lambda: said in [m.text for m in runtime.chat.messages(
            visitor.conversation_id)])
        path = runtime.store.path
        assert path.name == "cache.db" and not runtime.volatile
        secret = bytes.fromhex(ring.items[(CACHE_SERVICE, f"{ui_server.url}|{agent.account}")])
        needles = {"nickname": nickname.encode(), "message": said.encode(),
                   "masked phone": f"{phone[:3]}****{phone[-4:]}".encode()}
        dump = _decrypted_dump(path, secret)  # positive control: the cache does hold them
        assert all(needle.decode() in dump for needle in needles.values()), dump[-2000:]
        assert Path(f"{path}-wal").stat().st_size > 0, "the WAL is part of the check"
        assert files_containing(path.parent, needles) == {}, "while running (cache + WAL)"
        assert not _plain_sqlite_reads(path)
    finally:
        desk.close()
    assert files_containing(tmp_path, needles) == {}, "after exit"
    assert nickname in _decrypted_dump(path, secret), "the keyring's key opens it"


def test_a_plaintext_cache_from_an_earlier_release_is_encrypted_in_place(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    reply = "升级前没发出去的回复：13800001111"
    plain = open_store(path)  # no key: the file as releases before H11.3 wrote it
    with plain.write() as session:
        outbox.enqueue(session, "message.send", {"text": reply})
    plain.close()
    phone = {"phone": b"13800001111"}
    assert cipher.is_plaintext(path) and files_containing(tmp_path, phone), "the control"
    key = CacheKey(cipher.new_secret(), new=True, kept=True)  # the keyring had none yet
    store = open_store(path, key=key)
    try:
        assert store.recovery is None, "a readable old cache is converted, not set aside"
        with store.read() as session:
            assert [p.args["text"] for p in outbox.next_batch(session)] == [reply]
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA user_version").scalar_one() == SCHEMA_VERSION
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.db", "cache.lock"]
    assert files_containing(tmp_path, phone) == {}
    assert not _plain_sqlite_reads(path) and "13800001111" in _decrypted_dump(path, key.secret)


def test_a_conversion_cut_off_between_its_renames_is_finished(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    plain = open_store(path)
    with plain.write() as session:
        outbox.enqueue(session, "message.send", {"text": "断电前"})
    plain.close()
    path.rename(tmp_path / "cache.db.plaintext")  # killed after the first rename
    store = open_store(path, key=CacheKey(cipher.new_secret(), new=True, kept=True))
    try:
        with store.read() as session:
            assert [p.args["text"] for p in outbox.next_batch(session)] == ["断电前"]
    finally:
        store.close()
    assert not (tmp_path / "cache.db.plaintext").exists() and not cipher.is_plaintext(path)


def test_a_lost_key_sets_the_cache_aside_rebuilds_it_and_says_what_is_gone(
    ui_server: ServerProcess, ui_world: World, tmp_path: Path
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "钥匙丢了的顾客", company=company.domain)
    visitor.send("密钥丢失前的消息")
    ring = MemoryKeyring()
    desk = Desk(ui_server.url, tmp_path, keyring_backend=ring)
    try:
        runtime = desk.sign_in(agent.account, PASSWORD)
        eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
        desk.close()
        ring.items.clear()  # the keyring was reset, or this is another system account
        desk = Desk(ui_server.url, tmp_path, keyring_backend=ring)
        runtime = desk.sign_in(agent.account, PASSWORD)
        recovery = runtime.recovery
        assert recovery is not None and recovery.reason == "key_lost"
        assert (recovery.folder / "cache.db").exists() and recovery.salvaged == ()
        assert not (recovery.folder / "unsent.json").exists(), "nothing decrypted to a file"
        text = recovery_text(Tr("zh"), recovery)
        assert "密钥" in text and "无法恢复" in text and str(recovery.folder) in text
        assert "cannot be recovered" in recovery_text(Tr("en"), recovery)
        eventually(lambda: "密钥丢失前的消息" in [m.text for m in runtime.chat.messages(
            visitor.conversation_id)]), "rebuilt from the server"
        desk.close()
        desk = Desk(ui_server.url, tmp_path, keyring_backend=ring)
        assert desk.sign_in(agent.account, PASSWORD).recovery is None, "the new key is kept"
    finally:
        desk.close()


@pytest.mark.parametrize("crashed", [False, True])
def test_without_a_keyring_no_cache_outlives_the_run_and_the_windows_say_so(
    aloop: qasync.QEventLoop, ui_server: ServerProcess, ui_world: World, tmp_path: Path,
    crashed: bool
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    nickname = f"无钥匙串顾客{uuid.uuid4().hex[:4]}"
    VisitorClient(ui_server.url, nickname, company=company.domain).send("你好")
    profile = profile_dir(tmp_path, ui_server.url, agent.account)
    if crashed:  # a run killed before: its volatile file is unreadable and must go
        profile.mkdir(parents=True)
        (profile / "volatile.db").write_bytes(os.urandom(8192))
    app = App(ui_server.url, tmp_path, keyring_backend=keyring.backends.fail.Keyring())
    assert "本地缓存也不会保留" in app.flow.login.keyring_note.text()

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        notice = await until(lambda: window.cache_notice)
        assert notice.windowTitle() == "本地缓存不会保存" and not notice.isModal()
        assert "退出时删除" in notice.text() and "断网时未发出的回复" in notice.text()
        await until(lambda: window.list_model.rowCount() == 1)
        runtime = app.flow.runtime
        assert runtime is not None and runtime.volatile and runtime.store.encrypted
        assert runtime.store.path == profile / "volatile.db" and runtime.recovery is None
        assert not (profile / "cache.db").exists()
        assert files_containing(profile, {"nickname": nickname.encode()}) == {}
        notice.accept()

    try:
        run(aloop, scenario())
    finally:
        app.close()
    assert not [p.name for p in profile.iterdir() if p.name.startswith(("volatile.db", "cache"))]
