"""Demo data for the shop 演示商城 (demo.kefu), all in Simplified Chinese; see `load_demo`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo_history import seed_history
from server.demo_shop import data_records, import_demo_shop, order_numbers
from server.models import (
    Agent,
    Company,
    Customer,
    QuickPhrase,
    Tag,
    Team,
    TeamManager,
    VisitorBlock,
)
from server.security import hash_password, initial_password
from server.shifts import ensure_default_shifts

DEMO_DOMAIN = "demo.kefu"
DEMO_COMPANY_NAME = "演示商城"
DEMO_PASSWORD = "Kefu@2024"
NAMESPACE = uuid.UUID("4b6f1d1e-7c3a-5d2e-9f10-6b656675646b")

TEAM_PRESALES = "售前咨询组"
TEAM_AFTERSALES = "售后服务组"
BLOCKED_VISITOR_KEY = "blocked-demo-visitor"

# name, receives_visitors, auto_reply
_TEAMS: tuple[tuple[str, bool, str], ...] = (
    (TEAM_PRESALES, True, "您好，当前咨询人数较多，请稍候，客服马上为您服务～"),
    (TEAM_AFTERSALES, False, "您好，售后专员正在处理中，请留下订单号和问题描述，我们会尽快回复～"),
)


@dataclass(frozen=True)
class _AgentSpec:
    employee_id: str
    name: str
    role: str
    team: str
    password_changed: bool
    note: str
    manages: tuple[str, ...] = ()


_AGENTS: tuple[_AgentSpec, ...] = (
    _AgentSpec("20240001", "王晓敏", "agent", TEAM_PRESALES, True, "售前客服，日常演示用这个账号"),
    _AgentSpec("20240002", "李佳怡", "agent", TEAM_PRESALES, True, "售前客服"),
    _AgentSpec("20240003", "张浩然", "agent", TEAM_PRESALES, True, "售前客服（夜班）"),
    _AgentSpec("20240004", "陈思雨", "agent", TEAM_AFTERSALES, True, "售后客服"),
    _AgentSpec("20240005", "刘子轩", "agent", TEAM_AFTERSALES, True, "售后客服（夜班）"),
    _AgentSpec("20240006", "黄欣怡", "agent", TEAM_AFTERSALES, True, "售后客服"),
    _AgentSpec(
        "20240010", "赵雅婷", "lead", TEAM_PRESALES, True,
        "客服组长：售前咨询组，兼管售后服务组（交接班视图）", (TEAM_AFTERSALES,),
    ),
    _AgentSpec(
        "20240020", "孙建国", "supervisor", TEAM_AFTERSALES, True,
        "客服主管：管理两个组，审批账号解锁", (TEAM_PRESALES, TEAM_AFTERSALES),
    ),
    _AgentSpec("20240030", "周文博", "admin", TEAM_AFTERSALES, True, "系统管理员：账号与权限"),
    _AgentSpec(
        "20240099", "吴子涵", "agent", TEAM_PRESALES, False,
        "新员工：仍是初始密码（工号后六位），首次登录须先改密码（H1.2）",
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    """One demo login for the README: account, password, who it is."""

    account: str
    password: str
    name: str
    role: str
    team: str
    note: str


def _password_of(spec: _AgentSpec) -> str:
    return DEMO_PASSWORD if spec.password_changed else initial_password(spec.employee_id)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = tuple(
    DemoAccount(
        f"{spec.employee_id}@{DEMO_DOMAIN}", _password_of(spec), spec.name, spec.role, spec.team,
        spec.note,
    )
    for spec in _AGENTS
)

# name, starts, ends, rostered employee ids per team (H13.1)
# The default shifts (DEFAULT_SHIFTS_ZH: 白班, 夜班, 常规班) and who works them, per team.
_ROSTERS: dict[str, dict[str, tuple[str, ...]]] = {
    TEAM_PRESALES: {"白班": ("20240001", "20240002"), "夜班": ("20240003", "20240099"),
                    "常规班": ("20240010",)},
    TEAM_AFTERSALES: {"白班": ("20240004", "20240006"), "夜班": ("20240005",),
                      "常规班": ("20240020",)},
}

# Three-level tag library (H4.3): level 1 › level 2 › level 3.
_TAG_TREE: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("产品使用", (
        ("功能操作", ("支付异常", "登录问题", "页面报错")),
        ("使用咨询", ("参数规格", "安装指导")),
    )),
    ("售后", (
        ("退换货", ("质量问题", "尺码不合", "七天无理由")),
        ("维修保修", ("保修期内", "过保维修")),
        ("退款", ("退款进度", "部分退款")),
    )),
    ("物流", (
        ("配送问题", ("物流延误", "派送异常", "包裹破损")),
        ("地址变更", ("发货前改址", "拦截改派")),
    )),
    ("客户关系", (
        ("客户价值", ("高价值客户", "潜在客户", "复购客户")),
        ("投诉风险", ("情绪激动", "多次投诉")),
    )),
)

# Team quick phrases (快捷短语, H2.2), per team: group, title, text. The client fills
# {customer}, {agent} and {order_no} (app/services/phrases.py render_phrase).
_TEAM_PHRASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    TEAM_PRESALES: (
        ("售前", "欢迎语",
         "{customer}您好，我是客服{agent}，很高兴为您服务，请问有什么可以帮您？"),
        ("售前", "正品保障",
         "本店商品均为品牌官方授权正品，手机为国行版本，支持全国联保，请您放心购买～"),
        ("售前", "优惠说明",
         "店铺优惠券可与满减活动叠加使用，下单时系统会自动选择最优组合，"
         "{customer}可以放心下单～"),
        ("物流", "发货时间",
         "现货商品付款后48小时内发货，发货后您可以在订单详情里查看物流信息哦～"),
        ("物流", "订单已发货",
         "{customer}您好，您的订单 {order_no} 已发货，请留意物流信息，注意查收～"),
        ("售后", "请提供订单号", "麻烦{customer}提供一下订单号，我马上为您查询处理～"),
        ("售后", "结束语",
         "感谢您的耐心等待，祝您生活愉快！如有其他问题随时联系我们，我是客服{agent}～"),
    ),
    TEAM_AFTERSALES: (
        ("售后", "请提供订单号", "麻烦{customer}提供一下订单号，我马上为您查询处理～"),
        ("售后", "质量问题取证",
         "非常抱歉给您带来不便，麻烦您拍一下商品问题部位的照片或视频，"
         "我们审核后尽快为您处理～"),
        ("售后", "退款进度",
         "订单 {order_no} 的退款已审核通过，将原路退回：支付宝、微信1-3个工作日，"
         "银行卡3-7个工作日到账～"),
        ("售后", "七天无理由",
         "签收7天内商品完好、不影响二次销售的可以申请七天无理由退货，"
         "退回运费由您承担（有运费险可理赔）～"),
        ("物流", "物流延误致歉",
         "{customer}您好，订单 {order_no} 受天气影响运输有所延误，预计晚1-2天送达，"
         "给您带来不便深表歉意～"),
        ("物流", "查询物流",
         "我这边帮您联系快递核实订单 {order_no} 的物流情况，有结果第一时间回复您～"),
    ),
}

# The demo agent's own phrases: employee id -> (group, title, text).
_PERSONAL_PHRASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "20240001": (
        ("常用", "稍等查询", "好的{customer}，请稍等，我这边马上为您查询～"),
        ("常用", "转售后", "您的问题需要售后同事专门处理，我现在为您转接售后服务组，请稍候～"),
    ),
}


def demo_id(kind: str, key: str) -> str:
    """The fixed id of a demo row, e.g. `demo_id("agent", "20240001")`."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def __getattr__(name: str) -> Any:
    """`DEMO_ORDER_NOS` (server/simulate.py) is read from demo_data/ when asked, not at import;
    new code calls order_numbers()."""
    if name == "DEMO_ORDER_NOS":
        return order_numbers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_demo(session: Session, *, now: dt.datetime) -> bool:
    """Adds the demo shop unless `demo.kefu` exists; flushes, the caller commits."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(dt.UTC)
    if session.scalar(select(Company.id).where(Company.domain == DEMO_DOMAIN)) is not None:
        return False
    company_id = demo_id("company", DEMO_DOMAIN)
    session.add(Company(id=company_id, domain=DEMO_DOMAIN, name=DEMO_COMPANY_NAME))
    session.flush()
    teams = _add_teams(session, company_id)
    _add_agents(session, company_id, teams)
    _add_tags(session, company_id)
    customers = _add_customers(session, company_id, teams, now)
    import_demo_shop(session, company_id, customers, now=now)
    _add_shifts(session, teams)
    _add_quick_phrases(session, teams)
    session.add(VisitorBlock(id=demo_id("visitor_block", BLOCKED_VISITOR_KEY),
                             company_id=company_id, kind="visitor_key",
                             value=BLOCKED_VISITOR_KEY, reason="恶意骚扰"))
    session.flush()
    seed_history(session, company_id, now=now)
    return True


def _add_teams(session: Session, company_id: str) -> dict[str, str]:
    teams: dict[str, str] = {}
    for name, receives_visitors, auto_reply in _TEAMS:
        teams[name] = demo_id("team", name)
        # The H1.3 late-login lock is off in the demo: it starts at any hour, and its rostered
        # agents must always be able to log in (a lead can turn it on in 团队设置).
        session.add(Team(id=teams[name], company_id=company_id, name=name,
                         receives_visitors=receives_visitors, first_response_s=30,
                         complaint_response_s=300, auto_reply=auto_reply,
                         late_login_lock=False))
    session.flush()
    return teams


def _add_agents(session: Session, company_id: str, teams: dict[str, str]) -> None:
    for spec in _AGENTS:
        agent_id = demo_id("agent", spec.employee_id)
        session.add(Agent(
            id=agent_id, company_id=company_id, team_id=teams[spec.team],
            employee_id=spec.employee_id, account=f"{spec.employee_id}@{DEMO_DOMAIN}",
            name=spec.name, role=spec.role, password_hash=hash_password(_password_of(spec)),
            must_change_password=not spec.password_changed, presence="offline",
        ))
    session.flush()
    for spec in _AGENTS:
        for team in spec.manages:
            session.add(TeamManager(agent_id=demo_id("agent", spec.employee_id),
                                    team_id=teams[team]))
    session.flush()


def _add_tags(session: Session, company_id: str) -> None:
    """Adds the tag tree level by level, so every parent exists before its children."""
    levels: list[list[tuple[str, str | None]]] = [[], [], []]
    for top, children in _TAG_TREE:
        levels[0].append((top, None))
        for child, leaves in children:
            levels[1].append((f"{top}/{child}", top))
            levels[2].extend((f"{top}/{child}/{leaf}", f"{top}/{child}") for leaf in leaves)
    for level, rows in enumerate(levels, start=1):
        for path, parent in rows:
            session.add(Tag(id=demo_id("tag", path), company_id=company_id,
                            parent_id=demo_id("tag", parent) if parent else None,
                            level=level, name=path.rsplit("/", 1)[-1]))
        session.flush()


def _add_customers(
    session: Session, company_id: str, teams: dict[str, str], now: dt.datetime
) -> dict[str, Customer]:
    """The customers in demo_data/customers.csv (the ones the demo orders are for)."""
    customers: dict[str, Customer] = {}
    for index, row in enumerate(data_records("customers.csv")):
        nickname = row["nickname"]
        customers[nickname] = Customer(
            id=demo_id("customer", nickname), company_id=company_id, team_id=teams[row["team"]],
            nickname=nickname, vip_level=int(row["vip_level"]), phone=row["phone"],
            address=row["address"], id_number=row["id_number"],
            tags=[demo_id("tag", path) for path in row["tags"].split(";") if path],
            created_at=now - dt.timedelta(days=90 + 9 * index, hours=index % 7),
        )
        session.add(customers[nickname])
    session.flush()
    return customers


def _add_shifts(session: Session, teams: dict[str, str]) -> None:
    for team_name, team_id in teams.items():
        team = session.get(Team, team_id)
        assert team is not None
        rosters = {shift: [demo_id("agent", e) for e in employee_ids]
                   for shift, employee_ids in _ROSTERS.get(team_name, {}).items()}
        ensure_default_shifts(session, None, team, rosters=rosters)
    session.flush()


def _add_quick_phrases(session: Session, teams: dict[str, str]) -> None:
    """Team sets (owner None) and the demo agent's personal ones. Like the other demo rows they
    are not published: bootstrap reads the tables, and the demo exists before any client."""
    for team, phrases in _TEAM_PHRASES.items():
        for group, title, text in phrases:
            session.add(QuickPhrase(id=demo_id("quick_phrase", f"{team}/{group}/{title}"),
                                    team_id=teams[team], owner_id=None, group=group,
                                    title=title, text=text))
    team_of = {spec.employee_id: spec.team for spec in _AGENTS}
    for employee_id, phrases in _PERSONAL_PHRASES.items():
        agent_id = demo_id("agent", employee_id)
        for group, title, text in phrases:
            session.add(QuickPhrase(id=demo_id("quick_phrase", f"{employee_id}/{group}/{title}"),
                                    team_id=teams[team_of[employee_id]], owner_id=agent_id,
                                    group=group, title=title, text=text))
    session.flush()
