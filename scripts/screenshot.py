"""Opens the demo, signs in, waits for simulated customers, replies once, saves PNGs.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshot.py docs/screenshots
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import traceback
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from app.config import Config
from app.demo import DemoBackend
from app.main import setup_logging
from app.settings import PAGES
from app.ui.action_dialogs import TransferDialog
from app.ui.app import build_application
from app.ui.settings_dialog import SettingsDialog


async def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("demo did not get there")
        await asyncio.sleep(0.1)


async def _extras(flow, window, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 6: the dark theme, the settings pages."""
    flow.prefs.set("theme", "light")
    await asyncio.sleep(0.5)
    window.grab().save(str(out / "theme-light.png"))
    flow.prefs.set("theme", "dark")
    await asyncio.sleep(0.8)
    window.grab().save(str(out / "theme-dark.png"))
    flow.prefs.set("theme", "light")
    dialog = SettingsDialog(flow.prefs, flow.tr_, window, pages=window.setting_pages())
    dialog.resize(760, 620)
    dialog.show()
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        await asyncio.sleep(0.4)
        name = PAGES[index] if index < len(PAGES) else str(index)
        dialog.grab().save(str(out / f"settings-{name}.png"))
    dialog.close()
    tools = window.window_commands
    tools.open_palette()
    tools.palette.filter_box.setText("转")
    await asyncio.sleep(0.4)
    tools.palette.grab().save(str(out / "command-palette.png"))
    tools.palette.close()
    tools.open_cheat_sheet()
    await asyncio.sleep(0.4)
    tools.cheat_sheet.grab().save(str(out / "cheat-sheet.png"))
    tools.cheat_sheet.close()
    composer = window.chat_panel.composer
    composer.setFocus()
    composer.clear()
    composer.insertPlainText("/")
    await asyncio.sleep(0.6)
    window.grab().save(str(out / "quick-phrases.png"))
    composer.clear()
    flow.tools.open_logs(window)
    await asyncio.sleep(1.0)
    flow.tools.viewer.resize(980, 560)
    await asyncio.sleep(0.3)
    flow.tools.viewer.grab().save(str(out / "log-viewer.png"))
    flow.tools.viewer.close()


async def _side_tabs(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 8: the 订单 tab on the open customer's orders, the 商品 tab on a product, the
    知识库 tab on a search."""
    window.order_desk.focus_lookup()
    window.order_desk.panel.search.setText("DD202611010002")  # shipped, two lines, tracked
    window.order_desk.panel.lookup.click()
    await asyncio.sleep(0.8)
    window.grab().save(str(out / "orders-tab.png"))
    window.product_desk.focus_search()
    window.product_desk.search.setText("耳机")
    await asyncio.sleep(0.6)
    window.product_desk.panel.results.setCurrentIndex(window.product_desk.panel.model.index(0))
    await asyncio.sleep(0.4)
    window.grab().save(str(out / "products-tab.png"))
    window.kb_desk.focus_search()
    window.kb_desk.panel.search.setText("退")
    await asyncio.sleep(0.6)
    window.grab().save(str(out / "knowledge-base.png"))
    window.side_tabs.setCurrentIndex(0)


async def _lead(flow, window, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 7: the outgoing agent's handover form, then the lead's board and metrics."""
    from app.ui.handover_dialog import HandoverDialog

    shift = window.shift
    incoming = shift.incoming_dialog  # the demo's night shift handed over to 王晓敏 (H13.2)
    if incoming is not None and incoming.isVisible():
        await asyncio.sleep(0.4)
        incoming.grab().save(str(out / "handover-incoming.png"))
        incoming.close()
    dialog = HandoverDialog(flow.tr_, shift.ws.handovers.draft(), shift.ws.handovers.customers(),
                            window)
    dialog.show()
    await asyncio.sleep(0.6)
    dialog.grab().save(str(out / "handover-form.png"))
    dialog.reject()
    await flow.end_session("logout", ask=False)
    await _wait(lambda: flow.main_window is None or flow.login.isVisible())
    from app.demo import DEMO_PASSWORD

    flow.login.fill("20240010@demo.kefu", DEMO_PASSWORD)  # 赵雅婷, the presales lead
    flow.login.submit.click()
    await _wait(lambda: flow.main_window is not None and flow.main_window is not window)
    lead = flow.main_window
    await asyncio.sleep(2.0)
    from app.ui.board_window import BoardWindow, open_board

    open_board(lead)
    board = await _until_board(lead, BoardWindow)
    board.resize(1440, 860)
    await asyncio.sleep(2.5)
    busiest = max(board.agents.rows, key=lambda a: a.load, default=None)
    if busiest is not None:
        board.select_agent(busiest.id)
    await asyncio.sleep(0.3)
    board.grab().save(str(out / "board.png"))
    from app.ui.timeline_view import TimelineDialog

    board.show_timeline()
    await asyncio.sleep(1.5)
    timeline = next((d for d in board.findChildren(TimelineDialog) if d.isVisible()), None)
    if timeline is not None:
        timeline.grab().save(str(out / "board-timeline.png"))
        timeline.close()
    if board.metrics_view is not None:
        board.tabs.setCurrentWidget(board.metrics_view)
        board.metrics_view.period.setCurrentIndex(1)  # the last 7 days
        board.metrics_view.load()
        await asyncio.sleep(2.5)
        board.grab().save(str(out / "metrics.png"))
    board.close()


async def _until_board(window, kind):  # type: ignore[no-untyped-def]
    await _wait(lambda: window.findChild(kind) is not None)
    return window.findChild(kind)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="kefu-shot-"))
    demo = DemoBackend(root / "demo", customers=6, rate=2.0)
    url = demo.start()
    setup_logging(root / "logs", "INFO")  # the log viewer has something to show
    app = QApplication(sys.argv)
    shell = build_application(app, config=Config(root / "settings.json"), server_url=url,
                              data_dir=root, language="zh", demo=True)
    assert shell is not None
    flow = shell.flow
    sys.excepthook = lambda *exc: traceback.print_exception(*exc)  # fail loudly here

    async def run() -> None:
        shell.start()
        await asyncio.sleep(0.5)
        flow.login.grab().save(str(out / "login.png"))
        flow.login.submit.click()
        await _wait(lambda: flow.main_window is not None)
        window = flow.main_window
        assert window is not None
        await _wait(lambda: window.list_model.rowCount() >= 4)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await asyncio.sleep(1.0)
        window.chat_panel.composer.setPlainText("您好，我是客服王晓敏，请问有什么可以帮您？")
        window.chat_panel.send_button.click()
        await asyncio.sleep(3.0)
        window.grab().save(str(out / "main-window.png"))
        window.resize(1280, 720)  # the smallest size the layout is made for
        await asyncio.sleep(0.5)
        window.grab().save(str(out / "main-window-1280x720.png"))
        window.resize(1280, 800)
        await _side_tabs(window, out)
        window.open_search()
        window.search_dialog.text.setText("快递")
        await asyncio.sleep(1.5)
        window.search_dialog.grab().save(str(out / "search.png"))
        window.search_dialog.close()
        window.commands["conversation.transfer"].trigger()
        await asyncio.sleep(1.0)
        dialog = next(d for d in window.findChildren(TransferDialog) if d.isVisible())
        dialog.grab().save(str(out / "transfer.png"))
        dialog.reject()
        await _extras(flow, window, out)
        await _lead(flow, window, out)
        app.quit()

    qasync.run(run())
    shell.close()
    demo.stop()
    print(f"saved login, main-window (+1280x720), orders-tab, products-tab, knowledge-base, "
          f"search, transfer, themes, settings, handover-incoming, handover-form, "
          f"board (+timeline), metrics in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
