"""The agent's workstation, server half (issue 5): escalation, transfer back and undo, rating
requests, team scripts, revealing masked data, server-side search, presence (both databases)."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from kefu_protocol.wire import (
    DEFAULT_SCRIPTS_ZH,
    SCRIPT_FIELDS,
    TRANSFER_UNDO_SECONDS,
    MessagePage,
    MessageSearchPage,
    has_permission,
)
from server import models as m
from server.db import open_database
from server.migrate import alembic_config, upgrade
from server.state import Settings
from tests.support.api import AgentClient, VisitorClient
from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

UNDO_WINDOW_S = 3.0  # the server below runs with a short 撤回 window instead of 60 s


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ServerProcess]:
    """As conftest's, but the transfer-undo window is shortened through the environment."""
    proc = ServerProcess(database_url, env={"KEFU_TRANSFER_UNDO_S": str(UNDO_WINDOW_S)}).start()
    yield proc
    proc.stop()


# ---- helpers ---------------------------------------------------------------------------------


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _visitor(server: ServerProcess, company: CompanyRef, **kw: Any) -> VisitorClient:
    visitor = VisitorClient(server.url, kw.pop("nickname", "顾客"), company=company.domain, **kw)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    return visitor


def _feed(agent: AgentClient) -> list[dict[str, Any]]:
    agent.cursor = ""  # the whole feed again: the latest row of each id wins
    return agent.pull_all()


def _latest(changes: list[dict[str, Any]], entity: str, row_id: str) -> dict[str, Any]:
    rows = [c["data"] for c in changes if c["entity"] == entity and c["id"] == row_id]
    assert rows, f"{entity} {row_id} not in the feed"
    return rows[-1]


def _conversation(agent: AgentClient, conversation_id: str) -> dict[str, Any]:
    return _latest(_feed(agent), "conversation", conversation_id)


def _notes(agent: AgentClient, conversation_id: str) -> list[str]:
    return [c["data"]["text"] for c in _feed(agent) if c["entity"] == "note"
            and c["data"]["conversation_id"] == conversation_id]


def _owned_chat(server: ServerProcess, world: World, company: CompanyRef,
                **kw: Any) -> tuple[AgentClient, VisitorClient]:
    """An online agent and a customer whose chat was routed to them (the only one online)."""
    owner = _agent(server, world, company, **kw)
    owner.online()
    visitor = _visitor(server, company)
    assert _conversation(owner, visitor.conversation_id)["agent_id"] == owner.agent["id"]
    return owner, visitor


def _audit(supervisor: AgentClient, kind: str) -> list[dict[str, Any]]:
    response = supervisor.get("/api/v1/admin/audit", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return [row for row in response.json() if row["kind"] == kind]


# ---- escalation (H11.2) ----------------------------------------------------------------------


def test_escalation_flags_a_complaint_for_an_online_supervisor_not_the_customer_h11_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    _agent(server, world, company, role="supervisor", name="离线主管")  # stays offline
    supervisor = _agent(server, world, company, role="supervisor", name="在线主管")
    supervisor.online()
    visitor.send("发货太慢了，我要投诉")
    seen_by_customer = len(visitor.receive()["messages"])
    assert seen_by_customer > 0

    done = owner.do("conversation.escalate", conversation_id=visitor.conversation_id,
                    reason="顾客投诉发货慢")
    assert done["status"] == "applied", done
    row = _conversation(owner, visitor.conversation_id)
    assert row["is_complaint"] is True  # the team's complaint_response_s applies (H8.1)
    assert row["escalated_to_id"] == supervisor.agent["id"], "the online supervisor"
    assert row["escalation_reason"] == "顾客投诉发货慢" and row["escalated_at"]
    assert "升级投诉：顾客投诉发货慢" in _notes(owner, visitor.conversation_id)
    assert visitor.receive()["messages"] == [], "the customer is not told"
    notices = [c["data"] for c in supervisor.pull_all() if c["entity"] == "notice"]
    assert any(n["kind"] == "escalation" and n["conversation_id"] == visitor.conversation_id
               for n in notices)

    again = owner.do("conversation.escalate", conversation_id=visitor.conversation_id,
                     reason="顾客再次催促")
    assert again["status"] == "applied"
    row = _conversation(owner, visitor.conversation_id)
    assert row["escalation_reason"] == "顾客投诉发货慢", "the first escalation stands"
    assert row["escalated_at"] and row["escalated_to_id"] == supervisor.agent["id"]
    assert "升级投诉：顾客再次催促" in _notes(owner, visitor.conversation_id)


def test_only_the_owner_or_a_lead_escalates_with_a_reason(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    colleague = _agent(server, world, company)
    refused = colleague.do("conversation.escalate", conversation_id=visitor.conversation_id,
                           reason="我也想升级")
    assert refused["status"] == "rejected" and refused["code"] == "not_owner"
    assert owner.agent["name"] in refused["message"]
    blank = owner.do("conversation.escalate", conversation_id=visitor.conversation_id,
                     reason="   ")
    assert blank["status"] == "rejected" and blank["code"] == "invalid_args"
    assert _conversation(owner, visitor.conversation_id)["is_complaint"] is False
    # No supervisor anywhere: a lead of another team who manages this one takes it.
    lead = _agent(server, world, company, role="lead", team_id=company.other_team_id,
                  manages=(company.team_id,))
    assert lead.do("conversation.escalate", conversation_id=visitor.conversation_id,
                   reason="组长代为升级")["status"] == "applied"
    assert _conversation(owner, visitor.conversation_id)["escalated_to_id"] == lead.agent["id"]


def test_without_supervisor_or_lead_an_admin_takes_the_complaint(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    admin = _agent(server, world, company, role="admin", team_id=company.other_team_id)
    assert owner.do("conversation.escalate", conversation_id=visitor.conversation_id,
                    reason="需要管理员处理")["status"] == "applied"
    assert _conversation(owner, visitor.conversation_id)["escalated_to_id"] == admin.agent["id"]


# ---- transfer back and undo (H3.4) -----------------------------------------------------------


def test_the_receiver_sends_a_misrouted_conversation_straight_back_with_the_reason_h3_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    sales, visitor = _owned_chat(server, world, company, name="李售前")
    colleague = _agent(server, world, company, name="赵同事")
    colleague.online()
    moved = sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                     to_agent_id=colleague.agent["id"], reason="咨询售后")
    assert moved["status"] == "applied", moved
    row = _conversation(colleague, visitor.conversation_id)
    assert row["agent_id"] == colleague.agent["id"]
    assert row["transferred_from_id"] == sales.agent["id"] and row["transferred_at"]
    back = colleague.do("conversation.transfer", conversation_id=visitor.conversation_id,
                        to_agent_id=row["transferred_from_id"], reason="转错了，是售前问题")
    assert back["status"] == "applied", back
    row = _conversation(sales, visitor.conversation_id)
    assert row["agent_id"] == sales.agent["id"]
    assert row["transferred_from_id"] == colleague.agent["id"]
    assert any("转错了，是售前问题" in n for n in _notes(sales, visitor.conversation_id))
    told = [msg["text"] for msg in visitor.receive()["messages"] if msg["sender"] == "system"]
    assert "接下来由同事李售前为您继续服务" in told


def test_the_previous_owner_takes_it_back_within_the_window_and_not_after_h3_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    sales, visitor = _owned_chat(server, world, company)
    after_sales = _agent(server, world, company, team_id=company.other_team_id, name="王售后")
    after_sales.online()
    stranger = _agent(server, world, company)

    def hand_over() -> None:
        result = sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                          to_agent_id=after_sales.agent["id"], reason="售后问题")
        assert result["status"] == "applied", result

    hand_over()  # to another team: sales no longer even sees the conversation's team
    undo = sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                    to_agent_id=sales.agent["id"], reason="点错了")
    assert undo["status"] == "applied", undo
    row = _conversation(sales, visitor.conversation_id)
    assert row["agent_id"] == sales.agent["id"] and row["team_id"] == company.team_id
    assert any("撤回转接" in n and "点错了" in n for n in _notes(sales, visitor.conversation_id))
    grab = stranger.do("conversation.transfer", conversation_id=visitor.conversation_id,
                       to_agent_id=stranger.agent["id"])
    assert grab["status"] == "rejected" and grab["code"] == "not_owner"

    hand_over()
    time.sleep(UNDO_WINDOW_S + 0.5)
    late = sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                    to_agent_id=sales.agent["id"])
    assert late["status"] == "rejected" and late["code"] == "undo_expired"
    assert "王售后" in late["message"] and "撤回" in late["message"]
    row = _conversation(after_sales, visitor.conversation_id)
    assert row["agent_id"] == after_sales.agent["id"]


def test_the_undo_window_is_sixty_seconds_unless_configured() -> None:
    assert TRANSFER_UNDO_SECONDS == 60
    assert Settings(database_url="sqlite://").transfer_undo_s == 60


# ---- rating request (H14.4) and team configuration (H8.1, H3.6) ------------------------------


def test_a_rating_request_shows_the_prompt_and_the_customer_rates_before_closing_h14_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    assert visitor.receive()["rating_requested"] is False
    early = visitor.http.post(f"{server.url}/api/v1/visitor/rating", json={"score": 5},
                              timeout=10)
    assert early.status_code == 409 and early.json()["code"] == "conversation_not_closed"
    asked = owner.do("conversation.request_rating", conversation_id=visitor.conversation_id)
    assert asked["status"] == "applied", asked
    body = visitor.receive()
    assert body["state"] == "open" and body["rating_requested"] is True
    assert [msg["text"] for msg in body["messages"]] == [DEFAULT_SCRIPTS_ZH["rating_request"]]
    assert owner.do("conversation.request_rating", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    assert visitor.receive()["messages"] == [], "asking twice sends nothing more"
    rated = visitor.http.post(f"{server.url}/api/v1/visitor/rating",
                              json={"score": 5, "comment": "回复很快"}, timeout=10)
    assert rated.status_code == 200, rated.text
    assert visitor.receive()["rated"] is True
    row = _conversation(owner, visitor.conversation_id)
    assert row["rating"] == 5 and row["rating_requested_at"] and row["state"] == "open"


def test_a_lead_configures_standards_and_scripts_that_the_rating_request_uses_h8_1_h3_6(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company, name="周客服")
    lead = _agent(server, world, company, role="lead")
    done = lead.do("team.configure", team_id=company.team_id, first_response_s=20,
                   complaint_response_s=180,
                   scripts={"rating_request": "{customer}您好，请为客服{agent}打分～"})
    assert done["status"] == "applied", done
    team = _latest(_feed(owner), "team", company.team_id)
    assert team["first_response_s"] == 20 and team["complaint_response_s"] == 180
    assert set(team["scripts"]) == set(SCRIPT_FIELDS)
    assert team["scripts"]["greeting"] == DEFAULT_SCRIPTS_ZH["greeting"]
    assert owner.do("conversation.request_rating", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    texts = [msg["text"] for msg in visitor.receive()["messages"]]
    assert texts[-1] == "顾客您好，请为客服周客服打分～"
    reset = lead.do("team.configure", team_id=company.team_id, scripts={"rating_request": ""})
    assert reset["status"] == "applied"
    team = _latest(_feed(owner), "team", company.team_id)
    assert team["scripts"]["rating_request"] == DEFAULT_SCRIPTS_ZH["rating_request"]
    assert team["first_response_s"] == 20, "fields left out stay as they were"


@pytest.mark.parametrize("args", [
    {"first_response_s": 1},
    {"first_response_s": 7200},
    {"complaint_response_s": 10},
    {"complaint_response_s": 100000},
    {"scripts": {"farewell": "再见"}},
    {"scripts": {"greeting": "您" * 501}},
    {"max_load": 100},
], ids=["first-too-short", "first-too-long", "complaint-too-short", "complaint-too-long",
        "unknown-script", "script-too-long", "unknown-field"])
def test_bad_team_settings_are_refused_with_a_code(
    server: ServerProcess, world: World, args: dict[str, Any]
) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    result = lead.do("team.configure", team_id=company.team_id, **args)
    assert result["status"] == "rejected" and result["code"] == "invalid_args"
    assert result["message"].startswith("操作参数不正确")


def test_only_the_teams_lead_supervisor_or_an_admin_configures_it(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    refused = agent.do("team.configure", team_id=company.team_id, first_response_s=10)
    assert refused["status"] == "rejected" and refused["code"] == "permission_denied"
    assert "组长" in refused["message"]
    other_lead = _agent(server, world, company, role="lead", team_id=company.other_team_id)
    assert other_lead.do("team.configure", team_id=company.team_id, first_response_s=10)[
        "code"] == "permission_denied"
    supervisor = _agent(server, world, company, role="supervisor")
    assert supervisor.do("team.configure", team_id=company.team_id, first_response_s=10)[
        "status"] == "applied"
    admin = _agent(server, world, company, role="admin", team_id=company.other_team_id)
    assert admin.do("team.configure", team_id=company.team_id, first_response_s=15)[
        "status"] == "applied"
    elsewhere = world.company()
    assert admin.do("team.configure", team_id=elsewhere.team_id, first_response_s=15)[
        "code"] == "team_not_found"
    assert _latest(_feed(agent), "team", company.team_id)["first_response_s"] == 15


def _chromium(profile: Path) -> Any:
    """Headless Chromium for the customer's page, or a skip where it is not installed."""
    import os

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        pytest.skip("chromium / chromedriver not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--lang=zh-CN",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"),
                            options=options)


@pytest.mark.browser
def test_the_customers_page_shows_the_rating_form_when_asked_while_still_open_h14_4(
    server: ServerProcess, world: World
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    company = world.company()
    owner = _agent(server, world, company)
    owner.online()
    profile = Path(tempfile.mkdtemp(prefix="kefu-chromium-"))
    driver = _chromium(profile)
    try:
        wait = WebDriverWait(driver, 20, poll_frequency=0.1)
        driver.get(f"{server.url}/chat?company={company.domain}")
        wait.until(lambda d: d.find_element(By.ID, "nickname").is_displayed())
        driver.find_element(By.ID, "nickname").send_keys("网页顾客")
        driver.find_element(By.ID, "start").click()
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
        assert not driver.find_element(By.ID, "rating").is_displayed()
        conversation_id = next(c["id"] for c in reversed(_feed(owner))
                               if c["entity"] == "conversation")
        assert owner.do("conversation.request_rating", conversation_id=conversation_id)[
            "status"] == "applied"
        wait.until(lambda d: d.find_element(By.ID, "rating").is_displayed())
        assert driver.find_element(By.ID, "composer").is_displayed(), "the chat goes on"
        shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".msg[data-sender=system]")]
        assert DEFAULT_SCRIPTS_ZH["rating_request"] in shown
        driver.find_element(By.CSS_SELECTOR, "#rating .star[data-score='4']").click()
        driver.find_element(By.ID, "rating-submit").click()
        wait.until(lambda d: d.find_element(By.ID, "rating-thanks").is_displayed())
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    assert _conversation(owner, conversation_id)["rating"] == 4


# ---- personal data: masked in the feed, revealed by permission with a reason (H11.3, H10.2) --


def _reveal(agent: AgentClient, customer_id: str, field: str = "phone",
            reason: str = "顾客要求核对收货电话") -> Any:
    return agent.post(f"/api/v1/customers/{customer_id}/reveal",
                      json={"field": field, "reason": reason})


def test_the_customer_row_carries_masked_contact_data_only_h11_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    customer_id, _order, _no = world.customer_with_order(company)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    customer = next(r["data"] for r in rows if r["id"] == customer_id)
    assert customer["phone_masked"] == "138****5678"
    assert customer["id_number_masked"] == "330***********1234"
    assert customer["address_masked"].startswith("浙江省杭州市") and "文三路" not in str(customer)
    assert not {"phone", "address", "id_number"} & customer.keys()
    assert "13812345678" not in str(rows)


def test_an_agent_cannot_reveal_and_nothing_is_audited_h11_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    supervisor = _agent(server, world, company, role="supervisor")
    customer_id, _order, _no = world.customer_with_order(company)
    refused = _reveal(agent, customer_id)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "permission_denied" and "没有权限" in body["message"]
    assert "13812345678" not in refused.text
    assert not [r for r in _audit(supervisor, "customer.reveal")
                if r["detail"]["customer_id"] == customer_id]


def test_a_lead_reveals_with_a_reason_that_is_audited_without_the_value_h11_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    supervisor = _agent(server, world, company, role="supervisor")
    customer_id, _order, _no = world.customer_with_order(company)
    shown = _reveal(lead, customer_id, "id_number", "核实实名信息")
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"field": "id_number", "value": "330102199001011234"}
    rows = [r for r in _audit(supervisor, "customer.reveal")
            if r["detail"]["customer_id"] == customer_id]
    assert len(rows) == 1
    assert rows[0]["actor_id"] == lead.agent["id"]
    assert rows[0]["detail"]["field"] == "id_number"
    assert rows[0]["detail"]["reason"] == "核实实名信息"
    assert "330102199001011234" not in str(rows)
    with world.db.read() as session:  # nor anywhere in the stored audit log
        stored = session.scalars(select(m.AuditLog).where(m.AuditLog.kind == "customer.reveal"))
        assert "330102199001011234" not in str([row.detail for row in stored])


def test_a_granted_agent_reveals_and_bad_requests_are_refused_h10_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    supervisor = _agent(server, world, company, role="supervisor")
    customer_id, _order, _no = world.customer_with_order(company)
    assert not has_permission("agent", [], "customer.reveal")
    granted = supervisor.http.put(
        f"{server.url}/api/v1/admin/agents/{agent.agent['id']}/grants",
        json={"grants": ["customer.reveal"]}, timeout=10)
    assert granted.status_code == 200, granted.text
    row = _latest(_feed(supervisor), "agent", agent.agent["id"])
    assert row["grants"] == ["customer.reveal"] and row["role"] == "agent"
    assert _reveal(agent, customer_id).json()["value"] == "13812345678"
    assert _reveal(agent, customer_id, "password").json()["code"] == "invalid_request"
    assert _reveal(agent, customer_id, reason="").json()["code"] == "invalid_request"
    assert _reveal(agent, str(uuid.uuid4())).status_code == 404
    elsewhere = world.company()
    foreign_customer, _o, _n = world.customer_with_order(elsewhere)
    missing = _reveal(agent, foreign_customer)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    denied = agent.http.put(f"{server.url}/api/v1/admin/agents/{agent.agent['id']}/grants",
                            json={"grants": ["team.configure"]}, timeout=10)
    assert denied.status_code == 403, "agents do not grant themselves anything"


# ---- server-side search (H14.3, H9.3) --------------------------------------------------------


def _search(agent: AgentClient, **params: Any) -> Any:
    return agent.get("/api/v1/search/messages", params=params)


def test_search_finds_short_chinese_words_newest_first_within_the_teams_h14_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    visitor.send("我想申请退款，订单有问题")
    visitor.send("100%_真的")
    reply = owner.do("message.send", id=str(uuid.uuid4()), conversation_id=visitor.conversation_id,
                     text="好的，退款已为您提交")
    assert reply["status"] == "applied"
    body = _search(owner, q="退款")
    assert body.status_code == 200, body.text
    page = MessageSearchPage.model_validate(body.json())
    newest_first = ["好的，退款已为您提交", "我想申请退款，订单有问题"]
    assert [h.message["text"] for h in page.hits] == newest_first
    assert page.hits[0].customer_nickname == "顾客"
    assert page.hits[0].conversation_id == visitor.conversation_id
    assert len(_search(owner, q="退").json()["hits"]) == 2, "one character matches too"
    assert [h["message"]["text"] for h in _search(owner, q="%_").json()["hits"]] == ["100%_真的"]
    assert _search(owner, q="%").json()["hits"][0]["message"]["text"] == "100%_真的"
    assert len(_search(owner, q="%").json()["hits"]) == 1, "% is a character, not a wildcard"

    first = _search(owner, q="退款", limit=1).json()
    assert len(first["hits"]) == 1 and first["next"]
    second = _search(owner, q="退款", limit=1, before=first["next"]).json()
    assert [h["message"]["text"] for h in second["hits"]] == ["我想申请退款，订单有问题"]
    assert second["next"] is None
    assert len(_search(owner, q="退款", agent_id=owner.agent["id"]).json()["hits"]) == 2
    assert _search(owner, q="退款", agent_id=str(uuid.uuid4())).json()["hits"] == []
    assert _search(owner, q="退款", customer_id=str(uuid.uuid4())).json()["hits"] == []
    assert _search(owner, q="退款", since="2999-01-01T00:00:00Z").json()["hits"] == []
    assert len(_search(owner, q="退款", until="2999-01-01T00:00:00").json()["hits"]) == 2

    other_team = _agent(server, world, company, team_id=company.other_team_id)
    assert _search(other_team, q="退款").json()["hits"] == []
    other_company = _agent(server, world, world.company())
    assert _search(other_company, q="退款").json()["hits"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "字" * 101}, {"q": "退款", "limit": 0},
                                    {"q": "退款", "limit": 101}, {"q": "退款", "since": "昨天"}],
                         ids=["no-q", "empty-q", "long-q", "limit-0", "limit-101", "bad-since"])
def test_bad_search_requests_answer_in_the_error_format(
    server: ServerProcess, world: World, params: dict[str, Any]
) -> None:
    agent = _agent(server, world, world.company())
    response = _search(agent, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request" and body["message"].startswith("请求格式不正确")


def test_a_bad_search_cursor_is_refused(server: ServerProcess, world: World) -> None:
    agent = _agent(server, world, world.company())
    response = _search(agent, q="退款", before="not-a-cursor")
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_history_pages_use_the_shared_wire_model_h3_1(server: ServerProcess, world: World) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    for n in range(3):
        visitor.send(f"第{n}条")
    response = owner.get(f"/api/v1/conversations/{visitor.conversation_id}/messages",
                         params={"limit": 2})
    page = MessagePage.model_validate(response.json())
    assert [msg["text"] for msg in page.messages] == ["第2条", "第1条"] and page.has_more
    older = MessagePage.model_validate(owner.get(
        f"/api/v1/conversations/{visitor.conversation_id}/messages",
        params={"before": page.messages[-1]["seq"]}).json())
    assert not older.has_more and older.messages[0]["text"] == "第0条"


# ---- presence and assignment (H2.1, H1.6, H14.1) ---------------------------------------------


def test_busy_away_and_offline_agents_get_no_new_conversations_h2_1(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    busy, away = _agent(server, world, company), _agent(server, world, company)
    offline, later = _agent(server, world, company), _agent(server, world, company)
    assert busy.do("presence.set", status="busy")["status"] == "applied"
    assert away.do("presence.set", status="away")["status"] == "applied"
    assert offline.do("presence.set", status="offline")["status"] == "applied"
    visitor = _visitor(server, company)
    row = _conversation(busy, visitor.conversation_id)
    assert row["state"] == "queued" and row["agent_id"] is None
    later.online()  # the first one online takes the waiting customer
    row = _conversation(busy, visitor.conversation_id)
    assert row["state"] == "open" and row["agent_id"] == later.agent["id"]
    second = _visitor(server, company)
    assert _conversation(busy, second.conversation_id)["agent_id"] == later.agent["id"]


# ---- the migration on both databases ---------------------------------------------------------


@pytest.fixture()
def blank_database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database()
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='kefu-mig-')) / 'server.db'}"


def test_migration_0002_upgrades_existing_rows(blank_database_url: str) -> None:
    db = open_database(blank_database_url)
    try:
        with db.engine.connect() as conn:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.execute(text("INSERT INTO company (id, domain, name) VALUES ('c', 'o.t', '老')"))
            conn.execute(text(
                "INSERT INTO team (id, company_id, name, receives_visitors, first_response_s, "
                "complaint_response_s, max_load, auto_reply, version) "
                "VALUES ('t', 'c', '老组', true, 30, 300, 8, '', 1)"))
            conn.commit()
        upgrade(db)
        with db.read() as session:
            team = session.get(m.Team, "t")
            assert team is not None and team.scripts == {}
            columns = {c.key for c in m.Conversation.__table__.columns}
            assert {"transferred_from_id", "escalated_to_id", "rating_requested_at"} <= columns
            # 0003 (issue 7): the team's H1.3 / H13.2 settings default for old rows too
            assert (team.late_login_lock, team.late_login_grace_min,
                    team.handover_alert_min) == (True, 10, 30)
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0007"
    finally:
        db.engine.dispose()


def test_a_rating_request_after_closing_still_reaches_the_customer_h14_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    owner, visitor = _owned_chat(server, world, company)
    assert owner.do("conversation.close", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    assert visitor.receive()["rating_requested"] is True, "a closed chat always offers it"
    assert owner.do("conversation.request_rating", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    assert [msg["text"] for msg in visitor.receive()["messages"]] == [
        DEFAULT_SCRIPTS_ZH["rating_request"]]
