"""Local search over a 1M-message cache: p50/p95 per kind of query (H14.3, H9.3).

    .venv/bin/python -m bench.search_bench [--messages 1000000] [--runs 40] [--fresh]

Builds (once; reused from bench/.cache/ unless --fresh) a profile cache of realistic
customer-service Chinese made from a vocabulary: customers' questions and agents' replies put
together from products, problems, requests, places, times, order numbers and a long tail of
rare characters, words drawn with Zipf-like weights. Then times SearchService.search for 1-,
2- and 4-character queries (common, rare and absent strings), a Latin query, filters. Each
query's hit count is checked against a substring scan in Python first (a wrong answer fails
the run, not just a slow one). Prints one table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 2
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DAY = 86_400.0

PRODUCTS = (
    "连衣裙", "羽绒服", "运动鞋", "蓝牙耳机", "扫地机器人", "电饭煲", "面霜", "口红", "手机壳",
    "充电宝", "婴儿推车", "猫粮", "狗粮", "茶叶", "保温杯", "行李箱", "机械键盘", "显示器",
    "空气炸锅", "电动牙刷", "洗发水", "沐浴露", "防晒霜", "牛仔裤", "卫衣", "衬衫", "羊毛衫",
    "床上四件套", "乳胶枕", "电热毯", "加湿器", "净水器", "破壁机", "料理机", "咖啡机", "投影仪",
    "平板电脑", "笔记本电脑", "智能手表", "儿童书包", "奶粉", "纸尿裤", "坚果礼盒", "月饼",
    "螺蛳粉", "自热火锅", "瑜伽垫", "跑步机", "钓鱼竿", "帐篷", "登山包", "太阳镜", "围巾",
    "iPhone 15", "AirPods Pro", "iPad", "Switch", "小米手环", "华为Mate60", "戴森吹风机",
    "Nike跑鞋", "Adidas外套", "Kindle", "USB-C数据线", "Type-C充电器", "SK-II神仙水",
)
PROBLEMS = (
    "发错货了", "少发了一件", "有质量问题", "尺码偏小", "尺码偏大", "颜色和图片不一样", "还没收到",
    "物流一直不动", "包装破损了", "屏幕有划痕", "充不进电", "漏水", "味道很大", "开线了",
    "按键失灵", "连不上蓝牙", "收到就是坏的", "少了配件", "和描述不符", "起球了", "掉色严重",
    "过期了", "声音很小", "发热严重", "没有说明书", "发票没开", "赠品没收到", "快递员态度很差",
    "显示已签收但没收到", "被别人签收了", "退款还没到账", "优惠券用不了", "价格突然涨了",
)
REQUESTS = (
    "能退款吗", "我想换货", "帮我查一下", "什么时候发货", "可以开发票吗", "能便宜点吗",
    "有优惠券吗", "帮我改一下地址", "能加急吗", "可以指定快递吗", "怎么申请售后", "运费谁出",
    "能补发吗", "可以退差价吗", "能不能延长收货", "麻烦催一下", "怎么联系快递", "要怎么寄回",
    "七天无理由可以吗", "运费险能报销吗", "能开专票吗", "有没有现货", "保修多久",
)
OPENERS = ("亲", "您好", "你好", "在吗", "请问", "客服", "老板", "麻烦问一下", "急", "打扰一下")
CLOSERS = ("谢谢", "谢谢啦", "好的", "嗯嗯", "知道了", "辛苦了", "麻烦快点", "急用", "哈哈",
           "等你回复", "尽快处理一下", "不然我就投诉了")
PLACES = (
    "北京市朝阳区", "北京市海淀区", "上海市浦东新区", "上海市徐汇区", "广州市天河区",
    "深圳市南山区", "杭州市西湖区", "南京市鼓楼区", "成都市武侯区", "武汉市洪山区",
    "重庆市渝中区", "西安市雁塔区", "长沙市岳麓区", "苏州市工业园区", "厦门市思明区",
    "青岛市市南区", "天津市和平区", "郑州市金水区", "沈阳市和平区", "昆明市五华区",
    "哈尔滨市南岗区", "乌鲁木齐市天山区", "拉萨市城关区", "呼和浩特市新城区", "海口市美兰区",
)
TIMES = ("今天", "明天", "后天", "下周一", "周末", "月底", "双十一", "618", "春节前", "这两天")
AGENT_LINES = (
    "您好，很高兴为您服务，请问有什么可以帮您？",
    "亲，麻烦提供一下订单号，我这边帮您查询～",
    "已经帮您催促仓库了，{time}之内会发出。",
    "非常抱歉给您带来不便，{product}的问题我们马上为您处理。",
    "退款会在1-3个工作日内原路退回，请留意银行通知。",
    "这款{product}支持七天无理由退换货，运费险可以报销运费。",
    "好的，已经为您备注，请耐心等待。",
    "您的快递目前在{place}转运中心，预计{time}送达。",
    "感谢您的耐心等待，请问还有其他问题吗？",
    "优惠券可以和满300减40的活动叠加使用哦～",
    "麻烦您拍一下{product}的照片发给我，我帮您申请换新。",
    "这款是国行正品，全国联保一年。",
    "已为您登记补发，新的快递单号是{tracking}。",
    "地址已经改成{place}，请您核对一下。",
    "订单{order}已经为您申请退款，请注意查收。",
    "{product}目前有现货，下单后48小时内发货。",
    "抱歉，{product}暂时缺货，预计{time}到货。",
)
SYSTEM_LINES = ("会话已接入，客服将为您服务", "会话已转接至售后服务组", "客户已离开会话")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲丹浩宇轩涵梓萱子睿思雨欣怡"
RARE = "鑫翀喆昊淼焱犇骉垚曌旻玥珺璟甯祎堃琰翎芃"  # name characters that seldom occur
NICK_WORDS = ("小", "大", "阿", "老", "快乐的", "爱吃鱼的", "追风", "momo", "Lucky", "Amy",
              "Tony", "喵喵", "奶茶", "橙子", "星星", "木木", "阳光", "宝宝", "夏天")
TAG_PATHS = ("产品使用/功能操作/支付异常", "产品使用/功能操作/无法登录", "售后/退换货/七天无理由",
             "售后/退换货/质量问题", "物流/配送/延迟", "物流/配送/丢件", "客户/价值/大客户",
             "客户/价值/老顾客", "客户/风险/投诉倾向")


def _zipf(n: int, s: float = 1.05) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


@dataclass
class Vocabulary:
    rng: random.Random

    def __post_init__(self) -> None:
        self._weights = {name: _zipf(len(values)) for name, values in (
            ("products", PRODUCTS), ("problems", PROBLEMS), ("requests", REQUESTS),
            ("places", PLACES), ("times", TIMES), ("openers", OPENERS), ("closers", CLOSERS),
            ("agent", AGENT_LINES))}

    def pick(self, name: str, values: Sequence[str]) -> str:
        return self.rng.choices(values, weights=self._weights[name])[0]

    def order(self) -> str:
        return f"DD{self.rng.randrange(10**12):012d}"

    def tracking(self) -> str:
        return self.rng.choice(("SF", "YT", "ZTO", "JD")) + str(self.rng.randrange(10**11, 10**12))

    def customer_line(self) -> str:
        r = self.rng
        parts: list[str] = []
        if r.random() < 0.45:
            parts.append(self.pick("openers", OPENERS) + r.choice(("，", "！", " ", "")))
        roll = r.random()
        product = self.pick("products", PRODUCTS)
        if roll < 0.35:
            parts.append(f"我买的{product}{self.pick('problems', PROBLEMS)}，"
                         f"{self.pick('requests', REQUESTS)}？")
        elif roll < 0.55:
            parts.append(f"{product}{self.pick('requests', REQUESTS)}？")
        elif roll < 0.68:
            parts.append(f"订单号{self.order()}，{self.pick('problems', PROBLEMS)}")
        elif roll < 0.78:
            parts.append(f"我在{self.pick('places', PLACES)}，{self.pick('times', TIMES)}能到吗？")
        elif roll < 0.86:
            parts.append(f"{self.pick('requests', REQUESTS)}，{self.pick('times', TIMES)}要用")
        elif roll < 0.9:
            parts.append(f"收件人{r.choice(SURNAMES)}{r.choice(GIVEN + RARE[: r.randrange(2)])}，"
                         f"地址改到{self.pick('places', PLACES)}{r.randrange(1, 300)}号")
        else:
            parts.append(self.pick("problems", PROBLEMS))
        if r.random() < 0.35:
            parts.append(self.pick("closers", CLOSERS))
        if r.random() < 0.002:  # the long tail: a rare character somewhere
            parts.append(r.choice(RARE))
        return "".join(parts)

    def agent_line(self) -> str:
        line = self.pick("agent", AGENT_LINES)
        return line.format(product=self.pick("products", PRODUCTS),
                           place=self.pick("places", PLACES), time=self.pick("times", TIMES),
                           order=self.order(), tracking=self.tracking())

    def nickname(self) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6
                                                           else "")
        if roll < 0.7:
            return r.choice(NICK_WORDS) + r.choice(GIVEN + "猫狗鱼兔熊") + str(r.randrange(100))
        if roll < 0.72:
            return r.choice(SURNAMES) + r.choice(RARE)
        return f"用户{r.randint(130, 199)}****{r.randrange(10000):04d}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


@dataclass
class Cache:
    path: Path
    messages: int
    customers: list[str]
    agents: list[str]
    tags: list[str]
    seconds: float
    reused: bool


def cache_path(messages: int, seed: int) -> Path:
    """Named by what made it: a change to the generator or to the schema's code builds anew."""
    from app.models import store

    schema = hashlib.sha1(Path(store.__file__).read_bytes()).hexdigest()[:10]
    return CACHE_DIR / f"search-{messages}-s{seed}-g{GENERATOR_VERSION}-{schema}.db"


def generate(path: Path, *, messages: int, seed: int = 3) -> Cache:
    """A profile cache with `messages` messages over 90 days; rows by raw inserts (the v3
    triggers index them as the feed's writes would be)."""
    from app.models.store import open_store

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    open_store(partial, exclusive=False).close()
    rng = random.Random(seed)
    words = Vocabulary(rng)
    team_id = _uuid(rng)
    agents = [_uuid(rng) for _ in range(13)]  # the last one is new: 1% of the conversations
    conversations = max(1, messages // 10)
    customers = [_uuid(rng) for _ in range(max(1, conversations * 4 // 5))]
    tag_ids = {p: _uuid(rng) for p in _tag_nodes()}
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO record (entity, id, version, data) VALUES (?, ?, 1, ?)",
        [("agent", a, json.dumps({"id": a, "name": f"客服{n:02d}", "team_id": team_id}))
         for n, a in enumerate(agents)]
        + [("tag", tid, json.dumps({"id": tid, "name": p.rsplit("/", 1)[-1],
                                    "parent_id": tag_ids.get(p.rsplit("/", 1)[0])
                                    if "/" in p else None, "level": p.count("/") + 1}))
           for p, tid in tag_ids.items()])
    leaves = [tag_ids[p] for p in TAG_PATHS]
    now = time.time()
    conn.executemany(
        "INSERT INTO customer (id, team_id, nickname, vip_level, version, data) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        ((cid, team_id, nick, 0, json.dumps({
            "id": cid, "nickname": nick, "created_at": _iso(now - rng.uniform(90, 400) * DAY),
            "tags": rng.sample(leaves, rng.choice((0, 0, 0, 1, 1, 2)))}))
         for cid in customers for nick in (words.nickname(),)))
    counts = [1] * conversations
    for i in rng.choices(range(conversations), k=messages - conversations):
        counts[i] += 1
    batch: list[tuple[Any, ...]] = []
    conv_rows: list[tuple[Any, ...]] = []
    starts = sorted(now - rng.uniform(0, 90) * DAY for _ in range(conversations))
    for count, start in zip(counts, starts, strict=True):
        cid = _uuid(rng)
        agent = agents[-1] if rng.random() < 0.01 else rng.choice(agents[:-1])
        clock = start
        sender = "customer"
        text = ""
        for seq in range(1, count + 1):
            clock += rng.uniform(5, 240)
            if seq > 1:
                roll = rng.random()
                sender = ("system" if roll < 0.03 else
                          sender if roll < 0.25 else
                          "agent" if sender != "agent" else "customer")
            text = (words.customer_line() if sender == "customer" else
                    words.agent_line() if sender == "agent" else rng.choice(SYSTEM_LINES))
            batch.append((_uuid(rng), cid, seq, sender, agent if sender == "agent" else None,
                          text, _iso(min(clock, now))))
        state = "closed" if start < now - 2 * DAY else "open"
        conv_rows.append((cid, team_id, rng.choice(customers), agent, state, _iso(start),
                          _iso(min(clock, now)), text[:200]))
    conn.executemany(
        "INSERT INTO conversation (id, team_id, customer_id, agent_id, state, pinned, "
        "order_no, created_at, last_message_at, last_message_text, awaiting_reply_since, "
        "version, data, unread, last_read_seq, draft) "
        "VALUES (?, ?, ?, ?, ?, 0, '', ?, ?, ?, NULL, 1, '{}', 0, 0, '')", conv_rows)
    # As a real cache holds them: a bootstrap wrote most rows in id order (the server pages by
    # id), then the feed appended the last week's in time order.
    week = _iso(now - 7 * DAY)
    rows = (sorted((r for r in batch if r[6] < week), key=lambda r: r[0])
            + sorted((r for r in batch if r[6] >= week), key=lambda r: r[6]))
    conn.executemany(
        "INSERT INTO message (id, conversation_id, seq, sender, agent_id, text, created_at, "
        "version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)", rows)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    for side in ("-wal", "-shm"):
        Path(f"{partial}{side}").unlink(missing_ok=True)
    return Cache(path, messages, customers, agents, list(tag_ids.values()),
                 time.perf_counter() - started, reused=False)


def _tag_nodes() -> list[str]:
    nodes: list[str] = []
    for p in TAG_PATHS:
        parts = p.split("/")
        for depth in range(1, len(parts) + 1):
            node = "/".join(parts[:depth])
            if node not in nodes:
                nodes.append(node)
    return nodes


def open_cache(messages: int, *, seed: int = 3, fresh: bool = False) -> Cache:
    path = cache_path(messages, seed)
    if path.exists() and not fresh:
        conn = sqlite3.connect(path)
        customers = [r[0] for r in conn.execute("SELECT id FROM customer ORDER BY rowid")]
        agents = [r[0] for r in conn.execute(
            "SELECT id FROM record WHERE entity = 'agent' ORDER BY rowid")]
        tags = [r[0] for r in conn.execute(
            "SELECT id FROM record WHERE entity = 'tag' ORDER BY rowid")]
        conn.close()
        return Cache(path, messages, customers, agents, tags, 0.0, reused=True)
    return generate(path, messages=messages, seed=seed)


# ---- measuring ------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    queries: list[Any]  # SearchQuery values
    note: str = ""


@dataclass
class Row:
    label: str
    p50: float
    p95: float
    worst: float
    hits: str
    note: str


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def substring_counts(path: Path, needles: list[str]) -> dict[str, int]:
    """How many messages contain each needle (lower-cased), by a plain Python scan: the truth."""
    from app.services.search import fold

    folded = {n: fold(n) for n in needles}
    counts = dict.fromkeys(needles, 0)
    conn = sqlite3.connect(path)
    for (text,) in conn.execute("SELECT text FROM message"):
        low = fold(text)
        for needle, f in folded.items():
            if f in low:
                counts[needle] += 1
    conn.close()
    return counts


def measure(service: Any, case: Case, runs: int) -> list[float]:
    timings = []
    for n in range(runs):
        query = case.queries[n % len(case.queries)]
        t0 = time.perf_counter()
        service.search(query)
        timings.append(time.perf_counter() - t0)
    return timings


def cases(cache: Cache, counts: dict[str, int], rng: random.Random) -> list[Case]:
    from app.services.search import SearchQuery

    def q(texts: Sequence[str], **kw: Any) -> list[Any]:
        return [SearchQuery(text=t, **kw) for t in texts]

    def hits(texts: Sequence[str]) -> str:
        return "/".join(f"{counts.get(t, 0):,}" for t in texts)

    conn = sqlite3.connect(cache.path)
    busy = [r[0] for r in conn.execute(
        "SELECT c.customer_id FROM conversation c JOIN message m ON m.conversation_id = c.id "
        "GROUP BY c.customer_id ORDER BY count(*) DESC LIMIT 200")]
    conn.close()
    sample = rng.sample(cache.customers, 40)
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    common1, rare1 = ["退", "货", "款", "快"], ["翀", "犇", "曌", "璟"]
    common2, mid2, absent2 = ["退款", "发货", "快递", "优惠"], ["北京", "鼓楼", "拉萨"], \
        ["龘龘", "𠮷野", "鑫鑫"]
    four, latin = ["七天无理", "质量问题", "运费险能", "杭州市西"], ["iphone", "AIRPODS", "usb-c",
                                                            "Kindle"]
    return [
        Case("1 char, common (退 货 款 快)", q(common1), hits(common1)),
        Case("1 char, rare (翀 犇 曌 璟)", q(rare1), hits(rare1)),
        Case("2 chars, common (退款 发货 快递 优惠)", q(common2), hits(common2)),
        Case("2 chars, middling (北京 鼓楼 拉萨)", q(mid2), hits(mid2)),
        Case("2 chars, absent (龘龘 𠮷野 鑫鑫)", q(absent2), hits(absent2)),
        Case("4 chars (七天无理 质量问题 运费险能 杭州市西)", q(four), hits(four)),
        Case("Latin, case-insensitive (iphone AIRPODS usb-c Kindle)", q(latin), hits(latin)),
        Case("customer filter + 2 chars (退款, 40 random customers)",
             [SearchQuery(text="退款", customer_id=c) for c in sample]),
        Case("customer filter + 4 chars (质量问题, the 40 busiest customers)",
             [SearchQuery(text="质量问题", customer_id=c) for c in busy[:40]]),
        Case("agent filter + 2 chars (退款, 12 agents)",
             [SearchQuery(text="退款", agent_id=a) for a in cache.agents[:-1]]),
        Case("agent filter, the new agent (1% of conversations) + 1 char (退)",
             [SearchQuery(text="退", agent_id=cache.agents[-1])]),
        Case("agent filter, an agent with no conversations + 1 char (退)",
             [SearchQuery(text="退", agent_id=str(uuid.UUID(int=n))) for n in range(4)]),
        Case("no text, agent filter only (12 agents)",
             [SearchQuery(agent_id=a) for a in cache.agents[:-1]]),
        Case("last 7 days + 1 char rare (翀 犇 曌 璟)", q(rare1, since=week_ago)),
        Case("tag filter (a level-1 tag) + 2 chars (发货)",
             [SearchQuery(text="发货", tag_id=t) for t in cache.tags[:1]]),
    ]


def check(service: Any, cache: Cache, counts: dict[str, int]) -> list[str]:
    """Every unfiltered query's result against the substring scan: the newest `limit` hits
    must be exactly `min(limit, count)` rows, each containing the text."""
    from app.services.search import SearchQuery, fold

    problems = []
    for needle, count in counts.items():
        hits = service.messages(SearchQuery(text=needle, limit=200))
        if len(hits) != min(200, count):
            problems.append(f"{needle}: {len(hits)} hits, expected {min(200, count)}")
        keys = [h.key for h in hits]
        if keys != sorted(keys, reverse=True):
            problems.append(f"{needle}: not newest first")
        if any(fold(needle) not in fold(h.text) for h in hits if len(h.text) < 60):
            problems.append(f"{needle}: a hit without the text")
    conn = sqlite3.connect(cache.path)
    filtered = [("customer_id", r[0], "m.conversation_id IN (SELECT id FROM conversation "
                 "WHERE customer_id = ?)") for r in conn.execute(
        "SELECT c.customer_id FROM conversation c JOIN message m ON m.conversation_id = c.id "
        "GROUP BY c.customer_id ORDER BY count(*) DESC LIMIT 5")]
    filtered.append(("agent_id", cache.agents[-1], "m.conversation_id IN (SELECT id FROM "
                     "conversation WHERE agent_id = ?1 UNION SELECT conversation_id FROM message "
                     "WHERE agent_id = ?1)"))
    for name, value, where in filtered:
        texts = [r[0] for r in conn.execute(f"SELECT m.text FROM message m WHERE {where}",
                                            (value,))]
        for needle in ("退", "退款", "质量问题"):
            expected = sum(1 for t in texts if fold(needle) in fold(t))
            got = len(service.messages(SearchQuery(text=needle, limit=1000, **{name: value})))
            if got != min(expected, 1000):
                problems.append(f"{needle} with {name}: {got} hits, expected {expected}")
    conn.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed searches per row")
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached database")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from app.models.store import open_store
    from app.services.search import SearchService

    t_all = time.perf_counter()
    cache = open_cache(args.messages, seed=args.seed, fresh=args.fresh)
    size_mb = cache.path.stat().st_size / 2**20
    how = "reused" if cache.reused else f"generated in {cache.seconds:.0f} s"
    print(f"cache: {cache.messages:,} messages, {len(cache.customers):,} customers, "
          f"{size_mb:.0f} MB ({how}): {cache.path}", file=sys.stderr, flush=True)
    rng = random.Random(1)
    needles = ["退", "货", "款", "快", "翀", "犇", "曌", "璟", "退款", "发货", "快递", "优惠",
               "北京", "鼓楼", "拉萨", "龘龘", "𠮷野", "鑫鑫", "七天无理", "质量问题", "运费险能",
               "杭州市西", "iphone", "AIRPODS", "usb-c", "Kindle"]
    counts = substring_counts(cache.path, needles)
    store = open_store(cache.path, exclusive=False)
    rows: list[Row] = []
    try:
        service = SearchService(store)
        problems = check(service, cache, counts)
        if problems:
            print("WRONG ANSWERS:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        for case in cases(cache, counts, rng):
            measure(service, case, len(case.queries))  # warm the page cache for this case
            ms = [t * 1000 for t in measure(service, case, args.runs)]
            sample_hits = [len(service.search(query)) for query in case.queries[:3]]
            rows.append(Row(case.label, statistics.median(ms), _percentile(ms, 0.95), max(ms),
                            case.note or "/".join(map(str, sample_hits)),
                            "" if _percentile(ms, 0.95) <= 100 else "MISSES 100 ms"))
    finally:
        store.close()
    _print(rows, args.messages, args.runs)
    print(f"(total {time.perf_counter() - t_all:.0f} s)")
    return 0


def _print(rows: list[Row], messages: int, runs: int) -> None:
    header = (f"search over {messages:,} cached messages, {runs} searches per row, "
              "goal p95 <= 100 ms; 'matches' = messages containing the text (or hits returned)")
    print(header)
    width = max(len(r.label) for r in rows)
    hits_w = max([len("matches"), *(len(r.hits) for r in rows)])
    print(f"{'query':<{width}}  {'p50':>8}  {'p95':>8}  {'max':>8}  {'matches':<{hits_w}}")
    for r in rows:
        print(f"{r.label:<{width}}  {r.p50:6.1f}ms  {r.p95:6.1f}ms  {r.worst:6.1f}ms  "
              f"{r.hits:<{hits_w}}  {r.note}")



if __name__ == "__main__":
    raise SystemExit(main())
