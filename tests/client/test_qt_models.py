"""The two custom item models under Qt's model tester, through every way they change."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.services.chat import ConversationRow, MessageRow, SortKey
from app.ui.conversation_list import ID_ROLE, ROW_ROLE, ConversationListModel
from app.ui.message_view import MESSAGE_ROLE, MessageListModel

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
TESTERS = pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "py-tester"])


def conversation(cid: str, minute: int = 0, **changes: Any) -> ConversationRow:
    row = ConversationRow(
        id=cid, nickname=f"顾客{cid}", vip_level=0, last_message_text=f"{cid} 在吗",
        last_message_at=T0 + dt.timedelta(minutes=minute), waiting_since=None, unread=0,
        state="open", pinned=False, mine=True, order_no="",
    )
    return replace(row, **changes)


def message(mid: str, minute: int = 0, **changes: Any) -> MessageRow:
    row = MessageRow(id=mid, sender="customer", text=f"消息 {mid}",
                     created_at=T0 + dt.timedelta(minutes=minute), author="", delivery="sent")
    return replace(row, **changes)


class FakeConversations:
    """Stands in for ChatService.conversation_ids / rows / sort_keys: plain lists, no DB."""

    def __init__(self, rows: list[ConversationRow]) -> None:
        self.rows = list(rows)
        self.fetches: list[list[str]] = []

    def _key(self, row: ConversationRow) -> SortKey | None:
        if row.state == "closed":
            return None
        at = row.last_message_at.timestamp() if row.last_message_at else 0.0
        return (0 if row.pinned else 1, -at, row.id)  # the listing's activity order

    def ids(self) -> list[str]:
        listed = [r for r in self.rows if self._key(r) is not None]
        return [r.id for r in sorted(listed, key=self._key)]  # type: ignore[arg-type, return-value]

    def order(self) -> list[tuple[str, SortKey]]:
        keys = self.keys(self.ids())
        return [(i, keys[i]) for i in self.ids()]  # type: ignore[misc]

    def keys(self, ids: list[str]) -> dict[str, SortKey | None]:
        by_id = {r.id: r for r in self.rows}
        return {i: self._key(by_id[i]) if i in by_id else None for i in ids}

    def update(self, row: ConversationRow) -> None:
        if any(r.id == row.id for r in self.rows):
            self.rows = [row if r.id == row.id else r for r in self.rows]
        else:
            self.rows.append(row)

    def drop(self, cid: str) -> None:
        self.rows = [r for r in self.rows if r.id != cid]

    def get(self, cid: str) -> ConversationRow:
        return next(r for r in self.rows if r.id == cid)

    def fetch(self, ids: list[str]) -> dict[str, ConversationRow]:
        self.fetches.append(list(ids))
        by_id = {r.id: r for r in self.rows}
        return {i: by_id[i] for i in ids if i in by_id}


class Signals:
    """What the model announced, in order, as (signal, first row, last row)."""

    def __init__(self, model: QAbstractItemModel) -> None:
        self.seen: list[tuple[str, int, int]] = []
        model.dataChanged.connect(
            lambda tl, br, *_: self.seen.append(("dataChanged", tl.row(), br.row())))
        model.rowsInserted.connect(lambda _p, a, b: self.seen.append(("rowsInserted", a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.seen.append(("rowsRemoved", a, b)))
        model.rowsMoved.connect(lambda *_: self.seen.append(("rowsMoved", -1, -1)))
        model.layoutChanged.connect(lambda *_: self.seen.append(("layoutChanged", -1, -1)))
        model.modelReset.connect(lambda: self.seen.append(("modelReset", -1, -1)))

    def kinds(self) -> set[str]:
        return {name for name, _, _ in self.seen}

    def take(self) -> list[tuple[str, int, int]]:
        seen, self.seen = self.seen, []
        return seen


def shown_ids(model: ConversationListModel) -> list[str]:
    return [model.data(model.index(i), ID_ROLE) for i in range(model.rowCount())]


def shown_rows(model: ConversationListModel) -> list[ConversationRow]:
    return [model.data(model.index(i), ROW_ROLE) for i in range(model.rowCount())]


# ---- ConversationListModel ------------------------------------------------------------------


@TESTERS
def test_conversation_list_reload_and_refresh_keep_the_model_consistent(
    qtmodeltester: ModelTester, force_py: bool
) -> None:
    fake = FakeConversations([conversation(c, m) for c, m in
                              (("a", 5), ("b", 4), ("c", 3), ("d", 2), ("e", 1))])
    model = ConversationListModel(fake.order, fake.fetch, fake.keys)
    qtmodeltester.check(model, force_py=force_py)
    signals = Signals(model)

    model.reload()
    assert signals.take() == [("modelReset", -1, -1)]
    assert shown_ids(model) == ["a", "b", "c", "d", "e"]
    assert [r.nickname for r in shown_rows(model)] == ["顾客a", "顾客b", "顾客c", "顾客d", "顾客e"]
    assert model.id_at(2) == "c" and model.position_of("d") == 3 and model.id_at(9) is None

    # (i) same order, two rows changed: dataChanged for exactly those rows, fresh data after
    fake.update(replace(fake.get("b"), unread=3, last_message_text="有货吗"))
    fake.update(replace(fake.get("d"), nickname="改名了"))
    model.refresh({"b", "d"})
    assert sorted(signals.take()) == [("dataChanged", 1, 1), ("dataChanged", 3, 3)]
    assert shown_rows(model)[1].unread == 3 and shown_rows(model)[3].nickname == "改名了"
    model.refresh(set())  # nothing changed: nothing announced
    assert signals.take() == []

    # (ii) a new message moves d to the top: announced as rows 0..3 changing (QListView would
    # re-lay out all rows after a row move); positions are found again by id
    fake.update(replace(fake.get("d"), last_message_at=T0 + dt.timedelta(minutes=9),
                        last_message_text="新消息置顶"))
    model.refresh({"d"})
    assert signals.take() == [("dataChanged", 0, 3)]
    assert shown_ids(model) == ["d", "a", "b", "c", "e"]
    assert model.position_of("d") == 0 and model.position_of("a") == 1
    assert shown_rows(model)[0].last_message_text == "新消息置顶"
    fake.update(replace(fake.get("b"), last_message_at=T0 - dt.timedelta(minutes=9)))
    model.refresh({"b"})  # moved to the bottom
    assert shown_ids(model) == ["d", "a", "c", "e", "b"]

    # (iii) closed conversations leave, new ones arrive: rowsRemoved / rowsInserted, no reset
    follow_c = QPersistentModelIndex(model.index(model.position_of("c") or 0))
    gone = QPersistentModelIndex(model.index(model.position_of("e") or 0))
    fake.update(replace(fake.get("e"), state="closed"))
    fake.drop("b")
    fake.update(conversation("n1", 20))
    fake.update(conversation("n2", 4))
    signals.take()
    model.refresh({"e", "b", "n1", "n2"})
    seen = signals.take()
    assert {name for name, _, _ in seen} == {"rowsRemoved", "rowsInserted"}
    assert ("rowsInserted", 0, 0) in seen  # n1 at the top
    assert shown_ids(model) == fake.ids() == ["n1", "d", "a", "n2", "c"]
    assert follow_c.row() == 4 and follow_c.data(ID_ROLE) == "c"
    assert not gone.isValid()
    assert shown_rows(model)[3].nickname == "顾客n2"

    # (iv) pinning puts a conversation above newer ones
    fake.update(replace(fake.get("c"), pinned=True))
    model.refresh({"c"})
    assert shown_ids(model) == ["c", "n1", "d", "a", "n2"]
    assert model.position_of("c") == 0
    follow_c = QPersistentModelIndex(model.index(0))

    # everything leaves, then a reload brings rows back
    for cid in list(shown_ids(model)):
        fake.drop(cid)
    model.refresh(set(shown_ids(model)))
    assert model.rowCount() == 0 and not follow_c.isValid()
    fake.rows = [conversation("z", 1)]
    model.reload()
    assert shown_ids(model) == ["z"]


def test_conversation_rows_are_fetched_a_page_at_a_time_and_cached(qtmodeltester: ModelTester
                                                                    ) -> None:
    fake = FakeConversations([conversation(f"c{i:04d}", -i) for i in range(1000)])
    model = ConversationListModel(fake.order, fake.fetch, fake.keys)
    qtmodeltester.check(model)
    model.reload()
    fake.fetches.clear()
    assert model.data(model.index(500), ROW_ROLE).id == "c0500"
    assert model.data(model.index(501), ROW_ROLE).id == "c0501"  # from the cache
    assert len(fake.fetches) == 1 and len(fake.fetches[0]) == 200
    assert model.data(model.index(0), ID_ROLE) == "c0000"  # ids need no fetch
    assert len(fake.fetches) == 1


# ---- MessageListModel -----------------------------------------------------------------------


@TESTERS
def test_message_list_appends_updates_and_replaces(qtmodeltester: ModelTester,
                                                   force_py: bool) -> None:
    model = MessageListModel()
    qtmodeltester.check(model, force_py=force_py)
    signals = Signals(model)
    rows = [message("m1", 0), message("m2", 1), message("m3", 2)]

    model.set_rows(rows)  # first fill of an empty list: an insert
    assert signals.take() == [("rowsInserted", 0, 2)]
    follow_m2 = QPersistentModelIndex(model.index(1))

    rows = [*rows, message("m4", 3, sender="agent", author="小王", delivery="sending")]
    model.set_rows(rows)  # appended
    assert signals.take() == [("rowsInserted", 3, 3)]
    assert follow_m2.row() == 1 and follow_m2.data(MESSAGE_ROLE).id == "m2"

    rows = [*rows[:3], replace(rows[3], delivery="sent")]
    model.set_rows(rows)  # the server acknowledged m4
    assert signals.take() == [("dataChanged", 3, 3)]
    assert model.data(model.index(3), MESSAGE_ROLE).delivery == "sent"
    assert model.row_at(3) == rows[3] and model.row_at(4) is None

    rows = [*rows[:3], replace(rows[3], delivery="rejected", error="blacklisted"),
            message("m5", 4)]
    model.set_rows(rows)  # changed and appended in one go
    assert signals.take() == [("dataChanged", 3, 3), ("rowsInserted", 4, 4)]
    assert model.data(model.index(3), MESSAGE_ROLE).error == "blacklisted"

    model.set_rows(list(rows))  # the same rows again: nothing to announce
    assert signals.take() == []

    other = [message("x1", 10), message("x2", 11)]
    model.set_rows(other)  # another conversation: a reset
    assert signals.take() == [("modelReset", -1, -1)]
    assert not follow_m2.isValid()
    assert [model.data(model.index(i)) for i in range(model.rowCount())] == ["消息 x1", "消息 x2"]

    model.set_rows(other[:1])  # shorter (not an extension): a reset
    assert signals.take() == [("modelReset", -1, -1)]
    model.set_rows([])
    assert model.rowCount() == 0
    assert model.data(model.index(0)) is None


# ---- the tester itself ----------------------------------------------------------------------


class MiscountingModel(QAbstractListModel):
    """Announces one inserted row but adds two: what the tester exists to catch."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.DisplayRole:
            return self.items[index.row()]
        return None

    def add_two(self) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.items[:0] = ["one", "two"]
        self.endInsertRows()


def test_the_python_tester_fails_a_model_that_miscounts(qtmodeltester: ModelTester,
                                                        qtbot: QtBot) -> None:
    model = MiscountingModel()
    qtmodeltester.check(model, force_py=True)
    with qtbot.capture_exceptions() as exceptions:
        model.add_two()
    assert exceptions, "the tester let a miscounted insert through"
    assert all(kind is AssertionError for kind, _, _ in exceptions)
    assert "2 == 1" in str(exceptions[0][1])  # rowCount 2 after announcing one row into 0
