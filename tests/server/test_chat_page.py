"""The customer's web chat page (/chat, H14) in headless Chromium against a real server."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from server import models as m
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "chat-page.png"
WAIT_S = 20


@pytest.fixture()
def browser() -> Iterator[WebDriver]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium / chromedriver not installed")
    profile = tempfile.mkdtemp(prefix="kefu-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--lang=zh-CN",
                "--window-size=900,860", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    # Never let selenium-manager look for (or download) a driver: name it explicitly.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition, message=what)


def _visible(driver: WebDriver, css: str) -> WebElement:
    def check(d: WebDriver) -> WebElement | bool:
        found = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
        return found[0] if found else False

    return _wait(driver, check, f"{css} never became visible")


def _texts(driver: WebDriver, css: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def _feed_until(agent: AgentClient, match: Callable[[dict[str, Any]], bool],
                what: str) -> dict[str, Any]:
    """Long-polls the agent's feed until a change matches."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for change in agent.pull(wait=5)["changes"]:
            if match(change):
                return change
    raise AssertionError(f"the agent's feed never showed {what}")


def _start_chat(driver: WebDriver, base: str, domain: str, nickname: str) -> None:
    driver.get(f"{base}/chat?company={domain}")
    _visible(driver, "#nickname").send_keys(nickname)
    driver.find_element(By.ID, "start").click()


def test_customer_chats_is_transferred_and_rates(
    server: ServerProcess, world: World, browser: WebDriver
) -> None:
    company = world.company()
    first_ref = world.agent(company, name="王小明")
    second_ref = world.agent(company, name="李晓华")
    first = AgentClient(server.url, first_ref.account, PASSWORD)
    second = AgentClient(server.url, second_ref.account, PASSWORD)
    first.online()

    _start_chat(browser, server.url, company.domain, "张三")
    composer = _visible(browser, "#composer")
    _wait(browser, lambda d: any("王小明" in t for t in _texts(d, ".msg[data-sender=system]")),
          "no greeting naming the assigned agent")
    assert browser.find_element(By.ID, "status").get_attribute("data-state") == "open"

    # Shift+Enter is a new line, Enter sends.
    composer.send_keys("请问这款蓝牙耳机还有货吗？")
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    composer.send_keys("今天下单明天能发货吗", Keys.ENTER)
    text = "请问这款蓝牙耳机还有货吗？\n今天下单明天能发货吗"
    mine = _visible(browser, ".msg[data-sender=customer]")
    _wait(browser, lambda d: mine.get_attribute("data-status") == "sent", "message never sent")
    assert mine.find_element(By.CSS_SELECTOR, ".bubble").text == text
    assert composer.get_attribute("value") == ""

    change = _feed_until(
        first,
        lambda c: c["entity"] == "message" and (c.get("data") or {}).get("text") == text
        and c["data"].get("sender") == "customer",
        "the customer's message",
    )
    conversation_id = change["data"]["conversation_id"]

    reply = "您好，请问有什么可以帮您？"
    assert first.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                    text=reply)["status"] == "applied"
    link_text = "有货的，今天下单明天发货。物流进度可以在这里查看：https://example.com/track?no=SF123。"
    assert first.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                    text=link_text)["status"] == "applied"
    _wait(browser, lambda d: reply in _texts(d, ".msg[data-sender=agent] .bubble"),
          "the agent's reply never showed")
    agent_msg = _visible(browser, ".msg[data-sender=agent]")
    assert "王小明" in agent_msg.find_element(By.CSS_SELECTOR, ".who").text
    link = _visible(browser, ".msg[data-sender=agent] .bubble a")
    assert link.get_attribute("href") == "https://example.com/track?no=SF123"
    assert "noopener" in (link.get_attribute("rel") or "")
    assert link.get_attribute("target") == "_blank"

    # A reload keeps the conversation (token in sessionStorage) and its history.
    browser.refresh()
    _wait(browser, lambda d: link_text in _texts(d, ".msg[data-sender=agent] .bubble"),
          "history not shown after a reload")
    assert text in _texts(browser, ".msg[data-sender=customer] .bubble")
    composer = _visible(browser, "#composer")

    second.online()
    result = first.do("conversation.transfer", conversation_id=conversation_id,
                      to_agent_id=second.agent["id"], note="售后问题", reason="转售后")
    assert result["status"] == "applied", result
    _wait(browser,
          lambda d: any("接下来由同事" in t and "李晓华" in t
                        for t in _texts(d, ".msg[data-sender=system]")),
          "no transfer notice naming the colleague")
    follow_up = "好的，我是李晓华，马上为您处理。"
    assert second.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                     text=follow_up)["status"] == "applied"
    _wait(browser, lambda d: follow_up in _texts(d, ".msg[data-sender=agent] .bubble"),
          "the colleague's message never showed")
    if os.environ.get("KEFU_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))

    # Markup from either side is shown as text, never interpreted.
    markup = "<img src=x onerror=\"document.title='pwned'\"> <b>加粗</b>"
    assert second.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                     text=markup)["status"] == "applied"
    composer.send_keys("<b>不是粗体</b>", Keys.ENTER)
    _wait(browser, lambda d: markup in _texts(d, ".msg[data-sender=agent] .bubble")
          and "<b>不是粗体</b>" in _texts(d, ".msg[data-sender=customer] .bubble"),
          "markup not shown as plain text")
    assert not browser.find_elements(By.CSS_SELECTOR, ".messages img, .messages b")
    assert browser.title == "在线客服"
    _wait(browser, lambda d: {e.get_attribute("data-status") for e in d.find_elements(
        By.CSS_SELECTOR, ".msg[data-sender=customer]")} == {"sent"}, "a message stayed unsent")

    assert second.do("conversation.close",
                     conversation_id=conversation_id)["status"] == "applied"
    _visible(browser, "#rating")
    assert not browser.find_element(By.ID, "composer").is_displayed()
    assert browser.find_element(By.ID, "rating-submit").get_attribute("disabled") is not None
    browser.find_element(By.CSS_SELECTOR, "#rating .star[data-score='5']").click()
    browser.find_element(By.ID, "rating-comment").send_keys("很耐心，谢谢")
    browser.find_element(By.ID, "rating-submit").click()
    assert "感谢" in _visible(browser, "#rating-thanks").text

    row = _feed_until(
        second,
        lambda c: c["entity"] == "conversation" and c["id"] == conversation_id
        and (c.get("data") or {}).get("rating") == 5,
        "the conversation rated 5",
    )
    assert row["data"]["rating_comment"] == "很耐心，谢谢"
    assert row["data"]["state"] == "closed"


def test_queued_customer_sees_the_queue_and_the_char_limit(
    server: ServerProcess, world: World, browser: WebDriver
) -> None:
    company = world.company(auto_reply="您好，客服正忙，请稍候～")
    _start_chat(browser, server.url, company.domain, "李四")
    _wait(browser, lambda d: "您好，客服正忙，请稍候～" in _texts(d, ".msg[data-sender=system]"),
          "no queue auto-reply")
    queue = _visible(browser, "#queue")
    assert "排队中" in queue.text
    assert browser.find_element(By.ID, "status").get_attribute("data-state") == "queued"

    composer = browser.find_element(By.ID, "composer")
    send = browser.find_element(By.ID, "send")
    assert not send.is_enabled()  # nothing typed yet
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        composer, "字" * 5001,
    )
    counter = _visible(browser, "#counter")
    assert "5000" in counter.text and "超出" in counter.text
    assert not send.is_enabled()
    composer.send_keys(Keys.BACKSPACE)
    _wait(browser, lambda d: send.is_enabled(), "send stays disabled at exactly 5000 characters")
    assert "超出" not in counter.text


def test_blocked_visitor_is_refused_politely(server: ServerProcess, browser: WebDriver) -> None:
    browser.get(f"{server.url}/chat?company=demo.kefu")
    browser.execute_script("localStorage.setItem('kefu.visitor_key', 'blocked-demo-visitor')")
    _visible(browser, "#nickname").send_keys("捣乱的人")
    browser.find_element(By.ID, "start").click()
    error = _visible(browser, "#start-error")
    assert error.text == "抱歉，当前无法为您提供在线咨询服务。"
    assert error.get_attribute("data-code") == "visitor_blocked"
    assert not browser.find_element(By.ID, "chat-view").is_displayed()
    assert browser.execute_script("return localStorage.getItem('kefu.visitor_key')") == (
        "blocked-demo-visitor"
    )


def test_start_form_sends_order_number_company_and_a_lasting_visitor_key(
    server: ServerProcess, world: World, browser: WebDriver
) -> None:
    company = world.company()
    customer_id, _order_id, order_no = world.customer_with_order(company)
    browser.get(f"{server.url}/chat?company={company.domain}")
    _visible(browser, "#start").click()  # no nickname yet
    assert _visible(browser, "#start-error").text == "请填写昵称"
    assert browser.find_element(By.ID, "start-view").is_displayed()

    browser.find_element(By.ID, "nickname").send_keys("老顾客")
    browser.find_element(By.ID, "order-no").send_keys(f" {order_no} ")
    browser.find_element(By.ID, "start").click()
    _visible(browser, "#composer")
    key = browser.execute_script("return localStorage.getItem('kefu.visitor_key')")
    assert isinstance(key, str) and len(key) == 36
    with world.db.read() as session:
        visitor = session.scalars(select(m.Visitor).where(m.Visitor.visitor_key == key)).one()
        conversation = session.get(m.Conversation, visitor.conversation_id)
        assert conversation is not None
        assert conversation.customer_id == customer_id  # the order's customer, not a new one
        assert conversation.order_no == order_no
        assert visitor.company_id == company.id

    # A new conversation later keeps the same key.
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    _visible(browser, "#nickname").send_keys("老顾客")
    browser.find_element(By.ID, "start").click()
    _visible(browser, "#composer")
    with world.db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(m.Visitor).where(m.Visitor.visitor_key == key))
    assert count == 2


def test_offline_send_fails_shows_reconnecting_and_resends_with_the_same_id(
    server: ServerProcess, world: World, browser: WebDriver
) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company, name="周芳").account, PASSWORD)
    agent.online()
    _start_chat(browser, server.url, company.domain, "赵六")
    composer = _visible(browser, "#composer")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".msg[data-sender=system]"),
          "no greeting")
    hello = _feed_until(agent, lambda c: c["entity"] == "conversation" and c.get("data")
                        and c["data"].get("state") == "open", "the assigned conversation")
    conversation_id = hello["id"]

    browser.set_network_conditions(offline=True, latency=0, download_throughput=-1,
                                   upload_throughput=-1)
    composer.send_keys("断网时发的消息", Keys.ENTER)
    mine = _visible(browser, ".msg[data-sender=customer]")
    _wait(browser, lambda d: mine.get_attribute("data-status") == "failed", "send never failed")
    retry = mine.find_element(By.CSS_SELECTOR, ".retry")
    assert retry.text == "重发"
    # Wake the page's pending long-poll so its next attempt meets the dead network.
    assert agent.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                    text="请问还在吗？")["status"] == "applied"
    assert "连接中断" in _visible(browser, "#conn-notice").text

    browser.delete_network_conditions()
    retry.click()
    _wait(browser, lambda d: mine.get_attribute("data-status") == "sent", "resend failed")
    _wait(browser, lambda d: not d.find_element(By.ID, "conn-notice").is_displayed(),
          "the reconnect notice stayed")
    _wait(browser, lambda d: "请问还在吗？" in _texts(d, ".msg[data-sender=agent] .bubble"),
          "the agent's message never arrived after reconnecting")
    agent.cursor = ""
    copies = [c for c in agent.pull_all()
              if c["entity"] == "message" and c["data"]["text"] == "断网时发的消息"]
    assert len({c["id"] for c in copies}) == 1
    assert mine.get_attribute("data-id") == copies[0]["id"]
    assert len(_texts(browser, ".msg[data-sender=customer]")) == 1


def test_an_order_card_renders_on_the_customer_page_h5_h11_3(
    server: ServerProcess, world: World, browser: WebDriver
) -> None:
    """The agent sends the customer's order (H5): the page draws a card with the number,
    status, total in ¥, the lines and the latest tracking — the names shown as text (no
    markup runs) and no address (H11.3)."""
    company = world.company()
    _customer, order_id, order_no = world.customer_with_order(company, status="已发货")
    markup_name = "<img src=x onerror=\"document.title='pwned'\">礼盒"
    lines = [{"sku": "TEA-01", "name": "西湖龙井", "qty": 2, "price_cents": 4000},
             {"sku": "BOX-9", "name": markup_name, "qty": 1, "price_cents": 2150}]
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        assert order is not None
        order.lines, order.total_cents = lines, 10150
        session.add(m.LogisticsEvent(
            id=str(uuid.uuid4()), order_id=order_id, team_id=company.team_id,
            at=m.utcnow(), carrier="顺丰速运", tracking_no="SF1234567890",
            status="运输中，已到达杭州转运中心"))
    agent = AgentClient(server.url, world.agent(company, name="王小明").account, PASSWORD)
    agent.online()
    browser.get(f"{server.url}/chat?company={company.domain}")
    _visible(browser, "#nickname").send_keys("老顾客")
    browser.find_element(By.ID, "order-no").send_keys(order_no)
    browser.find_element(By.ID, "start").click()
    _visible(browser, "#composer")
    opened = _feed_until(agent, lambda c: c["entity"] == "conversation" and c.get("data")
                         and c["data"].get("state") == "open", "the assigned conversation")

    assert agent.do("order.send_card", id=str(uuid.uuid4()), conversation_id=opened["id"],
                    order_id=order_id)["status"] == "applied"
    card = _visible(browser, ".msg[data-sender=agent] .order-card")
    assert card.find_element(By.CSS_SELECTOR, ".oc-no").text == order_no
    assert card.find_element(By.CSS_SELECTOR, ".oc-status").text == "已发货"
    assert card.find_element(By.CSS_SELECTOR, ".oc-amount").text == "¥101.50"
    names = [e.text for e in card.find_elements(By.CSS_SELECTOR, ".oc-line .oc-name")]
    assert names == ["西湖龙井", markup_name]
    assert [e.text for e in card.find_elements(By.CSS_SELECTOR, ".oc-qty")] == ["×2", "×1"]
    tracking = card.find_element(By.CSS_SELECTOR, ".oc-tracking").text
    assert "顺丰速运" in tracking and "运输中，已到达杭州转运中心" in tracking
    assert "文三路" not in card.text
    assert not browser.find_elements(By.CSS_SELECTOR, ".messages img")
    assert browser.title == "在线客服"
    if os.environ.get("KEFU_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT.with_name("chat-order-card.png")))
