"""A believable last week for the demo shop (H12.1, H13.2–H13.4): served shifts, timelines, log."""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.wire import DEFAULT_SHIFTS_ZH
from server import activity
from server import models as m
from server.chat import ASSIGNED_NOTICE_ZH, CLOSING_NOTICE_ZH
from server.shift_time import shift_window, zone

HISTORY_DAYS = 7
_SEED = 20261202
_DAY, _NIGHT = DEFAULT_SHIFTS_ZH[0][0], DEFAULT_SHIFTS_ZH[1][0]
# Share of a team's conversations marked converted (H12.1): pre-sales sells, after-sales rarely.
_CONVERSION = {True: 0.2, False: 0.04}
_SCORES, _SCORE_WEIGHTS = (5, 4, 3, 2, 1), (58, 25, 9, 4, 4)
_COMMENTS = {5: ("回复很快，态度特别好", "专业耐心，问题一次就解决了", "客服小姐姐太贴心了"),
             4: ("挺好的，就是排队久了点", "解答清楚", "还不错"),
             3: ("一般吧", "问题解决了但有点慢"), 2: ("等了好久才回复",),
             1: ("答非所问，很不满意",)}
_NICK_A = ("爱吃", "快乐的", "安静的", "周末", "深夜", "元气", "迷糊", "温柔的")
_NICK_B = ("小熊", "橙子", "猫咪", "星星", "豆豆", "饭团", "松鼠", "鲸鱼")
# customer's question, agent's answer, customer's follow-up, agent's answer (H2)
_TOPICS: dict[bool, tuple[tuple[str, str, str, str], ...]] = {
    True: (
        ("A15 的 256G 和 512G 除了存储还有别的区别吗？", "512G 版本运行内存是 12GB，其余配置相同～",
         "以旧换新怎么算？", "下单时选择以旧换新，评估后最高补贴500元，旧机上门回收～"),
        ("羽绒服 170 穿什么码？", "身高170、体重65kg左右建议选L码，版型偏大可以放心～",
         "第二件半价可以选不同颜色吗？", "可以的，同款不同颜色尺码都参与第二件半价～"),
        ("这个耳机降噪效果怎么样？", "声悦 Buds 3 支持主动降噪，地铁通勤效果很明显～",
         "现在下单今天能发吗？", "现货商品付款后48小时内发货，16点前付款一般当天发出～"),
        ("优惠券和满减能一起用吗？", "店铺优惠券可以和满减叠加，下单时会自动选最优组合～",
         "好的那我现在下单", "好的，有问题随时找我～"),
        ("扫地机器人能拖地吗？", "S8 Pro 是扫拖一体的，吸力6000Pa，续航180分钟～",
         "有分期吗？", "单笔满300元支持花呗和信用卡分期，3期免息～"),
        ("电饭煲是几升的？适合几个人用？", "4L 容量，适合2-8人，IH电磁加热～",
         "有保修吗？", "全国联保一年，凭订单号即可～"),
    ),
    False: (
        ("我的退款什么时候到账？", "退款审核通过后原路退回，支付宝1-3个工作日到账～",
         "好的，那我再等等", "给您带来不便很抱歉，有问题随时联系我们～"),
        ("快递好几天没更新了", "我帮您联系快递核实一下，有结果第一时间回复您～",
         "麻烦快点，急用", "已催促快递优先派送，预计明天送达～"),
        ("衣服尺码大了能换吗？", "签收15天内吊牌完好可以免费换一次尺码～",
         "怎么申请？", "在订单页提交换货申请并选择新尺码就可以啦～"),
        ("耳机左耳没声音了", "非常抱歉，麻烦拍一下问题视频，我们审核后为您换新～",
         "视频发你了", "收到，已为您登记换新，快递上门取件～"),
        ("收到的保温杯有划痕", "麻烦提供一下照片，质量问题退换货运费由我们承担～",
         "照片发了", "已审核通过，您可以选择换新或退款～"),
    ),
}


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seed_history(
    session: Session, company_id: str, *, now: dt.datetime, timezone: str | None = None
) -> None:
    """Adds the last `HISTORY_DAYS` local days of every team of the company: closed, answered,
    rated conversations in its shifts' windows for their rostered agents, their timelines, a
    few problem-log entries and handovers (one pending). Like the other demo rows they are not
    published: clients bootstrap them from the tables. Deterministic for a given `now`."""
    rng = random.Random(_SEED)
    tz = zone(timezone or os.environ.get("KEFU_TIMEZONE", "Asia/Shanghai"))
    today = now.astimezone(tz).date()
    days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
    teams = session.scalars(select(m.Team).where(m.Team.company_id == company_id)
                            .order_by(m.Team.name)).all()
    for team in teams:
        agents = {a.id: a for a in session.scalars(
            select(m.Agent).where(m.Agent.team_id == team.id))}
        shifts = {s.name: s for s in session.scalars(
            select(m.Shift).where(m.Shift.team_id == team.id))}
        customers = sorted(session.scalars(  # by id: the same on every database's collation
            select(m.Customer).where(m.Customer.team_id == team.id)), key=lambda c: c.id)
        customers += _extra_customers(session, rng, team, now)
        served: dict[str, list[m.Conversation]] = {}
        for day in days:
            for shift in sorted(shifts.values(), key=lambda s: s.name):
                start, end = shift_window(shift.starts, shift.ends, day, tz)
                end = min(end, now - dt.timedelta(minutes=10))
                for agent_id in shift.agent_ids or []:
                    agent = agents.get(agent_id)
                    if agent is None or agent.disabled or agent.must_change_password:
                        continue  # a new hire who never signed in has no history
                    count = rng.randint(10, 16) if agent.role == "agent" else rng.randint(1, 3)
                    if end - start > dt.timedelta(hours=1):
                        served.setdefault(f"{day}/{shift.name}/{agent_id}", []).extend(
                            _shift(session, rng, team, agent, customers, start, end, count))
        _problems_and_handovers(session, rng, team, agents, shifts, customers, served, now, tz)
    session.flush()


def _extra_customers(
    session: Session, rng: random.Random, team: m.Team, now: dt.datetime
) -> list[m.Customer]:
    names = sorted(rng.sample([a + b for a in _NICK_A for b in _NICK_B], 16))
    rows = [m.Customer(id=_id(rng), company_id=team.company_id, team_id=team.id, nickname=name,
                       created_at=now - dt.timedelta(days=rng.randint(8, 200))) for name in names]
    session.add_all(rows)
    session.flush()  # before the conversations that reference them
    return rows


def _shift(
    session: Session, rng: random.Random, team: m.Team, agent: m.Agent,
    customers: list[m.Customer], start: dt.datetime, end: dt.datetime, count: int,
) -> list[m.Conversation]:
    """One agent's shift: login, `count` conversations accepted, answered and closed, logout."""
    base: dict[str, Any] = {"agent_id": agent.id, "team_id": team.id}
    login = start - dt.timedelta(minutes=rng.randint(1, 9))
    activity.record(session, **base, kind="login", at=login, device_id="demo")
    span = (end - start).total_seconds() - 2400
    convs = []
    for offset in sorted(rng.uniform(300, span) for _ in range(count)):
        conv = _conversation(session, rng, team, agent, rng.choice(customers),
                             start + dt.timedelta(seconds=offset))
        convs.append(conv)
        activity.record(session, **base, kind="accepted", at=conv.assigned_at,
                        conversation_id=conv.id)
        standard_s = team.first_response_s
        if (conv.first_response_ms or 0) > standard_s * 1000:
            activity.record(session, **base, kind="breach", at=conv.first_response_at,
                            conversation_id=conv.id, first_response_ms=conv.first_response_ms,
                            standard_s=standard_s)
        activity.record(session, **base, kind="closed", at=conv.closed_at,
                        conversation_id=conv.id, by=agent.id)
    logout = end + dt.timedelta(minutes=rng.randint(1, 6))
    activity.record(session, **base, kind="logout", at=logout)
    return convs


def _conversation(
    session: Session, rng: random.Random, team: m.Team, agent: m.Agent, customer: m.Customer,
    created: dt.datetime,
) -> m.Conversation:
    """A closed conversation: question, answer (mostly within the standard), follow-up, close,
    often a rating, sometimes a sale."""
    standard_ms = team.first_response_s * 1000
    breach = rng.random() < 0.12
    first_ms = (rng.randint(standard_ms + 2000, standard_ms * 5) if breach
                else rng.randint(3000, standard_ms - 2000))
    question, answer, follow_up, reply = rng.choice(_TOPICS[team.receives_visitors])
    assigned = created + dt.timedelta(milliseconds=min(first_ms // 3, 4000))
    answered = created + dt.timedelta(milliseconds=first_ms)
    asked_again = answered + dt.timedelta(seconds=rng.randint(20, 240))
    replied = asked_again + dt.timedelta(seconds=rng.randint(8, 60))
    closed = replied + dt.timedelta(seconds=rng.randint(60, 600))
    conv = m.Conversation(
        id=_id(rng), team_id=team.id, customer_id=customer.id, agent_id=agent.id,
        state="closed", created_at=created, assigned_at=assigned, first_response_at=answered,
        first_response_ms=first_ms, closed_at=closed, last_message_at=closed,
        last_message_text=CLOSING_NOTICE_ZH, last_customer_message_at=asked_again,
        rating_requested_at=closed,
    )
    if rng.random() < 0.6:
        conv.rating = rng.choices(_SCORES, _SCORE_WEIGHTS)[0]
        if rng.random() < 0.35 or conv.rating <= 2:
            conv.rating_comment = rng.choice(_COMMENTS[conv.rating])
    if rng.random() < _CONVERSION[team.receives_visitors]:
        conv.converted_at = replied + (closed - replied) / 2
    lines = (("customer", question, created), ("system", ASSIGNED_NOTICE_ZH.format(name=agent.name),
             assigned), ("agent", answer, answered), ("customer", follow_up, asked_again),
             ("agent", reply, replied), ("system", CLOSING_NOTICE_ZH, closed))
    conv.message_count = len(lines)
    session.add(conv)
    session.add_all(m.Message(id=_id(rng), conversation_id=conv.id, seq=seq, sender=sender,
                              agent_id=agent.id if sender == "agent" else None, text=text,
                              created_at=at)
                    for seq, (sender, text, at) in enumerate(lines, start=1))
    return conv


def _item(kind: str, text: str, *, customer_id: str | None = None, due_at: str | None = None,
          acked_at: str | None = None, acked_by: str | None = None) -> dict[str, Any]:
    """A stored handover item, as handover.create writes it (H13.2)."""
    return {"kind": kind, "text": text, "conversation_id": None, "customer_id": customer_id,
            "to_agent_id": None, "due_at": due_at, "acked_at": acked_at, "acked_by": acked_by,
            "skipped": False}


def _problems_and_handovers(
    session: Session, rng: random.Random, team: m.Team, agents: dict[str, m.Agent],
    shifts: dict[str, m.Shift], customers: list[m.Customer],
    served: dict[str, list[m.Conversation]], now: dt.datetime, tz: dt.tzinfo,
) -> None:
    """H13.4 entries (one reviewed by the team's lead) and H13.2 handovers: last night's to the
    day shift left unacknowledged in pre-sales, an older acknowledged one in after-sales."""
    day, night = shifts.get(_DAY), shifts.get(_NIGHT)
    if day is None or night is None or not day.agent_ids or not night.agent_ids:
        return
    today = now.astimezone(tz).date()
    ended = [(d, w) for d in (today - dt.timedelta(days=1), today - dt.timedelta(days=2))
             if (w := shift_window(night.starts, night.ends, d, tz))[1] <= now]
    night_day, (_, night_end) = ended[0]
    incoming, outgoing = agents[day.agent_ids[0]], agents[night.agent_ids[0]]
    lead = next((a for a in agents.values() if a.role in ("lead", "supervisor")), None)
    by = {c.nickname: c for c in customers}
    night_convs = served.get(f"{night_day}/{night.name}/{outgoing.id}", [])
    day_start, _ = shift_window(day.starts, day.ends, night_day, tz)
    if team.receives_visitors:
        at = night_end - dt.timedelta(minutes=8)
        prospect = by.get("小确幸", customers[0])
        callback = by.get("数码控阿杰", customers[-1])
        due = (now + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        items = [
            _item("todo", "快乐购物狂的订单 DD202611010004 仍待付款，白班提醒一次并确认优惠券可用"),
            _item("prospect", "咨询 A15 以旧换新，预算四千左右，已发参数对比，等白班跟进",
                  customer_id=prospect.id),
            _item("callback", "答应回电确认 Buds 3 白色到货时间", customer_id=callback.id,
                  due_at=due.isoformat()),
            _item("note", "22点后咨询量偏高，夜班多数是以旧换新和分期问题"),
        ]
        _handover(session, rng, team, outgoing, incoming, night, at, "夜班整体平稳", items)
        _problem(session, rng, team, incoming, day, "system", day_start + dt.timedelta(hours=6),
                 "下午三点左右支付页面多次报错，三位客户付款失败，已截图反馈技术",
                 lead=lead, comment="已转技术排查，支付通道已恢复；再遇到先引导客户换支付方式")
        _problem(session, rng, team, outgoing, night, "product", night_end - dt.timedelta(hours=2),
                 "A15 冰川白 512G 页面显示有货，下单却提示库存不足，晚上有多位客户咨询",
                 conversation=night_convs[-1] if night_convs else None)
    else:
        earlier, _ = shift_window(night.starts, night.ends, night_day - dt.timedelta(days=1), tz)
        at = earlier + dt.timedelta(hours=7, minutes=50)
        acked = (at + dt.timedelta(hours=7, minutes=12)).isoformat()
        items = [_item("todo", "奶茶续命的耳机退款今天到期，请确认已原路退回",
                       acked_at=acked, acked_by=incoming.id)]
        handover = _handover(session, rng, team, outgoing, incoming, night, at, "", items)
        handover.acked_at, handover.acked_by = dt.datetime.fromisoformat(acked), incoming.id
        _problem(session, rng, team, incoming, day, "logistics", day_start + dt.timedelta(hours=3),
                 "华东强降雨，多位客户物流延误投诉，建议统一致歉话术并主动告知预计送达时间")


def _handover(
    session: Session, rng: random.Random, team: m.Team, outgoing: m.Agent, incoming: m.Agent,
    shift: m.Shift, at: dt.datetime, note: str, items: list[dict[str, Any]],
) -> m.Handover:
    handover = m.Handover(id=_id(rng), team_id=team.id, from_agent_id=outgoing.id,
                          to_agent_id=incoming.id, note=note, items=items, created_at=at,
                          shift_id=shift.id)
    session.add(handover)
    activity.record(session, agent_id=outgoing.id, team_id=team.id, kind="handover_sent", at=at,
                    handover_id=handover.id, to_agent_id=incoming.id, items=len(items))
    return handover


def _problem(
    session: Session, rng: random.Random, team: m.Team, agent: m.Agent, shift: m.Shift,
    category: str, at: dt.datetime, text: str, *, conversation: m.Conversation | None = None,
    lead: m.Agent | None = None, comment: str = "",
) -> None:
    problem = m.Problem(id=_id(rng), team_id=team.id, agent_id=agent.id, shift_id=shift.id,
                        conversation_id=conversation.id if conversation else None,
                        category=category, text=text, created_at=at, review_comment="")
    if lead is not None:
        problem.reviewed_at, problem.reviewed_by = at + dt.timedelta(hours=2), lead.id
        problem.review_comment = comment
    session.add(problem)
    activity.record(session, agent_id=agent.id, team_id=team.id, kind="problem", at=at,
                    conversation_id=problem.conversation_id, problem_id=problem.id,
                    category=category)
