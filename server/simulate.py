"""Simulated shop customers chatting through the public visitor API (demo mode, benchmarks)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from kefu_protocol.wire import (
    API_PREFIX,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ErrorBody,
    VisitorMessages,
    VisitorSessionResponse,
)
from server.demo import DEMO_DOMAIN, DEMO_ORDER_NOS, order_numbers

log = logging.getLogger(__name__)

POLL_WAIT_S = 2.0  # long-poll wait: short, so that stop() is prompt
CONNECT_TIMEOUT_S = 3.0
READ_MARGIN_S = 5.0
STOP_JOIN_S = 5.0
START_SPREAD_S = 3.0
MAX_BACKOFF_S = 5.0
LINGER_S = (30.0, 60.0)  # after saying thanks, how long a customer waits for the close
PATIENCE_S = (90.0, 240.0)  # how long a customer waits for an answer before leaving
NUDGE_AFTER_S = (20.0, 45.0)
THINK_S = (1.0, 4.0)
BETWEEN_VISITS_S = (1.0, 4.0)
NATURAL_INTERVAL_S = 5.0  # about how often one unhurried customer sends a message


@dataclass(frozen=True)
class _Topic:
    name: str
    questions: tuple[str, ...]
    follow_ups: tuple[str, ...]
    order_chance: float = 0.0
    order_statuses: tuple[str, ...] = ()


TOPICS: tuple[_Topic, ...] = (
    _Topic("物流", (
        "我的快递到哪里了？已经三天了还没动静。",
        "请问今天下单什么时候能发货？",
        "物流信息好几天没更新了，是不是丢件了？",
        "能不能指定顺丰发货？我加钱也可以。",
        "快递显示已签收，但是我根本没收到啊！",
        "我想改一下收货地址，现在还来得及吗？",
        "新疆包邮吗？大概几天能到？",
    ), ("大概还要几天能到？", "能帮我催一下快递吗？", "可以给我快递员的电话吗？"),
        0.8, ("已付款", "已发货", "已签收")),
    _Topic("退换货", (
        "衣服尺码买大了，可以换小一码吗？",
        "收到的保温杯有裂纹，怎么申请退货？",
        "七天无理由退货的运费谁出？",
        "商品拆封了还能退吗？",
        "我申请的退款什么时候到账？",
        "换货已经寄回去了，新的什么时候发出？",
        "耳机左耳没声音，能直接换新吗？",
    ), ("需要我拍照片给你们吗？", "退货地址发我一下。", "运费险能报销多少？"),
        0.8, ("已签收", "已完成", "退款中")),
    _Topic("支付", (
        "付款的时候一直提示支付失败，怎么回事？",
        "钱已经扣了，但是订单还显示待付款。",
        "可以用花呗分期吗？",
        "支持货到付款吗？",
        "能开增值税专用发票吗？",
        "不小心付了两次款，多的钱怎么退？",
    ), ("大概多久能退回原账户？", "我用的是招商银行的卡。", "发票抬头写公司名可以吗？"),
        0.5, ("待付款", "已付款", "已退款")),
    _Topic("商品参数", (
        "这款手机支持5G双卡吗？",
        "电饭煲是几升的？适合几个人用？",
        "这件羽绒服含绒量是多少？",
        "扫地机器人能拖地吗？续航多久？",
        "耳机防水等级是多少？跑步能戴吗？",
        "这款是国行正品吗？保修多久？",
        "我身高170体重65公斤，羽绒服穿什么码合适？",
    ), ("有没有白色的？", "和上一代比有什么区别？", "现在下单有现货吗？")),
    _Topic("优惠活动", (
        "满300减40可以和优惠券一起用吗？",
        "最近有什么活动吗？",
        "我昨天买的今天就降价了，能保价吗？",
        "新人优惠券在哪里领？",
        "会员有没有额外折扣？",
        "买两件能不能便宜点？",
    ), ("优惠券领了但是用不了。", "活动到什么时候结束？", "那我等活动再买吧。"),
        0.2, ("已付款", "已签收")),
    _Topic("投诉", (
        "你们客服怎么一直不回复？等了半天了！",
        "说好48小时发货，现在都一周了，我要投诉！",
        "收到的商品和图片完全不一样，太失望了。",
        "快递员态度太差了，东西直接扔在门口。",
        "这是我第三次联系你们了，问题还没解决！",
        "这商品是假货吧？和专柜的不一样。",
    ), ("我要求赔偿。", "请让你们主管来处理。", "今天之内必须给我答复。"),
        0.7, ()),
)

NICKNAMES: tuple[str, ...] = (
    "路人甲", "爱吃橘子的猫", "星星点灯", "甜甜圈", "北方的狼", "小蜜蜂", "海绵宝宝",
    "清风徐来", "半夏", "阿宝", "南瓜粥", "十一点半", "喵小姐", "老王", "Lucky", "芒果布丁",
    "向日葵", "七月", "大白", "糯米团子", "山有木兮", "一杯清茶", "小飞侠", "菠萝油",
)
NUDGES: tuple[str, ...] = ("在吗？", "有人吗？", "还在吗？麻烦快一点。", "人呢？")
CLOSINGS: tuple[str, ...] = (
    "好的，谢谢～", "明白了，谢谢你。", "行，那我再等等。", "好吧。", "OK，辛苦了！",
)
RATING_COMMENTS: dict[int, tuple[str, ...]] = {
    5: ("客服很耐心，点赞！", "回复很快，问题解决了。", ""),
    4: ("还不错，就是等得有点久。", ""),
    3: ("一般吧。", ""),
    2: ("回复太慢了。", "问题没有完全解决。"),
    1: ("非常不满意！", "答非所问。"),
}
_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


@dataclass(frozen=True)
class SimulatorStats:
    """A snapshot of what the simulated customers have done so far."""

    sessions: int = 0
    messages_sent: int = 0
    replies_received: int = 0
    ratings: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    last_error: str = ""

    def summary(self) -> str:
        rate = self.messages_sent / self.elapsed_s if self.elapsed_s else 0.0
        return (
            f"simulate: {self.elapsed_s:.1f} s, sessions {self.sessions}, "
            f"messages sent {self.messages_sent} ({rate:.2f}/s), "
            f"replies received {self.replies_received}, ratings {self.ratings}, "
            f"errors {self.errors}"
        )


class _ApiError(Exception):
    """The server answered with an error body `{code, message}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code

    @classmethod
    def from_response(cls, response: requests.Response) -> _ApiError:
        try:
            body = ErrorBody.model_validate(response.json())
        except ValueError:
            text = response.text[:200] or response.reason
            return cls(response.status_code, f"http_{response.status_code}", text)
        return cls(response.status_code, body.code, body.message)


class _Pacer:
    """Hands out send slots 1/rate seconds apart, shared by every simulated customer."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> bool:
        """Waits for this caller's slot; False if `stop` was set first."""
        with self._lock:
            slot = max(time.monotonic(), self._next)
            self._next = slot + self._interval
        return not stop.wait(max(0.0, slot - time.monotonic()))


@dataclass
class _Chat:
    """One visit's conversation as the customer sees it."""

    token: str
    topic: _Topic
    follow_ups: list[str]
    patience: float
    nudge_after: float
    linger: float
    after: int = 0
    nudges_left: int = 2
    waiting_since: float | None = None
    last_sent: float = field(default_factory=time.monotonic)
    done_at: float | None = None


class Simulator:
    """N simulated customers (threads) sending about `rate` messages per second in total.

    `rate` is a cap shared by all customers; too few customers, or agents slow to answer,
    give less. `stop_event`, if given, stops the customers when set (as `stop()` does).
    """

    def __init__(
        self,
        url: str,
        customers: int,
        rate: float,
        *,
        company: str | None = None,
        seed: int | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        if customers < 1 or rate <= 0:
            raise ValueError("customers must be >= 1 and rate > 0")
        self.url = url.rstrip("/")
        self.customers = customers
        self.rate = rate
        self.company = company
        self.seed = seed
        self.stop_event = stop_event if stop_event is not None else threading.Event()
        self.pacer = _Pacer(rate)
        # Customers think faster when few of them must produce a high rate; the pacer caps it.
        self.tempo = min(1.0, customers / (rate * NATURAL_INTERVAL_S))
        self.use_demo_orders = company in (None, DEMO_DOMAIN)
        self._lock = threading.Lock()
        self._counts: dict[str, int] = dict.fromkeys(
            ("sessions", "messages_sent", "replies_received", "ratings", "errors"), 0
        )
        self._last_error = ""
        self._seen_errors: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._started_at: float | None = None
        self._stopped_at: float | None = None

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("simulator already started")
        self._started_at = time.monotonic()
        for index in range(self.customers):
            rng = random.Random(None if self.seed is None else f"{self.seed}:{index}")
            customer = _Customer(self, rng)
            thread = threading.Thread(target=customer.run, name=f"sim-customer-{index}",
                                      daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = STOP_JOIN_S) -> None:
        """Tells every customer to leave and joins the threads (at most `timeout` in total)."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        alive = sum(thread.is_alive() for thread in self._threads)
        if alive:
            log.warning("simulate: %d customer thread(s) still busy; left to finish", alive)

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the simulator is told to stop (True) or `timeout` passes (False)."""
        return self.stop_event.wait(timeout)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    @property
    def stats(self) -> SimulatorStats:
        end = self._stopped_at or time.monotonic()
        elapsed = end - self._started_at if self._started_at is not None else 0.0
        with self._lock:
            return SimulatorStats(**self._counts, elapsed_s=elapsed, last_error=self._last_error)

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def note_error(self, exc: BaseException) -> None:
        """Counts an error; reports each kind once, calmly, then only at debug level."""
        kind = exc.code if isinstance(exc, _ApiError) else type(exc).__name__
        text = self._describe(exc)
        with self._lock:
            self._counts["errors"] += 1
            self._last_error = text
            first = kind not in self._seen_errors
            self._seen_errors.add(kind)
        log.log(logging.WARNING if first else logging.DEBUG, "simulate: %s; retrying", text)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, _ApiError):
            return f"server answered {exc}"
        if isinstance(exc, requests.Timeout):
            return f"request to {self.url} timed out"
        if isinstance(exc, requests.ConnectionError):
            reason = _ERRNO_RE.search(str(exc))
            return f"cannot connect to {self.url}" + (f" ({reason[1]})" if reason else "")
        if isinstance(exc, ValueError):
            return f"unexpected response: {str(exc)[:200]}"
        return f"{type(exc).__name__}: {str(exc)[:200]}"


class _Customer:
    """One simulated customer thread: visits, asks, follows up, rates, comes back as new."""

    def __init__(self, sim: Simulator, rng: random.Random) -> None:
        self._sim = sim
        self._rng = rng
        self._stop = sim.stop_event
        self._http = requests.Session()
        self._failures = 0

    def run(self) -> None:
        try:
            if self._pause(0.0, START_SPREAD_S):
                return
            while not self._stop.is_set():
                self._visit_once()
        finally:
            self._http.close()

    def _visit_once(self) -> None:
        try:
            self._visit()
        except Exception as exc:  # a simulated customer never dies of one bad answer
            self._failures += 1
            self._sim.note_error(exc)
            delay = min(MAX_BACKOFF_S, 0.5 * 2 ** (self._failures - 1))
            self._stop.wait(delay * self._rng.uniform(0.8, 1.2))
        else:
            self._failures = 0
            self._pause(*BETWEEN_VISITS_S)

    def _visit(self) -> None:
        topic = self._rng.choice(TOPICS)
        order_no = self._pick_order(topic)
        chat = self._open(topic, order_no)
        if not self._say(chat, self._opening_line(topic, order_no)):
            return
        while not self._stop.is_set():
            batch = self._poll(chat)
            replies = sum(1 for message in batch.messages if message.sender == "agent")
            if replies:
                self._sim.count("replies_received", replies)
            if batch.state == "closed":
                self._rate(chat)
                return
            if not self._react(chat, replied=replies > 0):
                return

    def _pick_order(self, topic: _Topic) -> str | None:
        if not self._sim.use_demo_orders or self._rng.random() >= topic.order_chance:
            return None
        return self._rng.choice(order_numbers(*topic.order_statuses) or DEMO_ORDER_NOS)

    def _opening_line(self, topic: _Topic, order_no: str | None) -> str:
        question = self._rng.choice(topic.questions)
        if order_no and self._rng.random() < 0.6:
            return f"订单号 {order_no}，{question}"
        return question

    def _nickname(self) -> str:
        name = self._rng.choice(NICKNAMES)
        return f"{name}{self._rng.randint(1, 99)}" if self._rng.random() < 0.5 else name

    def _open(self, topic: _Topic, order_no: str | None) -> _Chat:
        body: dict[str, Any] = {"nickname": self._nickname()}
        if order_no:
            body["order_no"] = order_no
        if self._sim.company:
            body["company"] = self._sim.company
        session = VisitorSessionResponse.model_validate(
            self._call("POST", "/visitor/sessions", json=body)
        )
        self._sim.count("sessions")
        follow_ups = self._rng.sample(topic.follow_ups, self._rng.randint(0, 2))
        return _Chat(
            token=session.visitor_token, topic=topic, follow_ups=follow_ups,
            patience=self._rng.uniform(*PATIENCE_S), nudge_after=self._rng.uniform(*NUDGE_AFTER_S),
            linger=self._rng.uniform(*LINGER_S),
        )

    def _say(self, chat: _Chat, text: str, *, expects_reply: bool = True) -> bool:
        """Sends one message when the shared pacer allows; False if stopped meanwhile."""
        if not self._sim.pacer.wait(self._stop):
            return False
        body = {"id": str(uuid.uuid4()), "text": text}
        self._call("POST", "/visitor/messages", token=chat.token, json=body)
        self._sim.count("messages_sent")
        chat.last_sent = time.monotonic()
        if expects_reply and chat.waiting_since is None:
            chat.waiting_since = chat.last_sent
        return True

    def _poll(self, chat: _Chat) -> VisitorMessages:
        started = time.monotonic()
        batch = VisitorMessages.model_validate(self._call(
            "GET", "/visitor/messages", token=chat.token,
            params={"after": chat.after, "wait": POLL_WAIT_S},
            read_timeout=POLL_WAIT_S + READ_MARGIN_S,
        ))
        chat.after = max([chat.after, *(message.seq for message in batch.messages)])
        if not batch.messages and time.monotonic() - started < POLL_WAIT_S / 4:
            self._stop.wait(POLL_WAIT_S / 2)  # the server did not hold the poll: don't spin
        return batch

    def _react(self, chat: _Chat, *, replied: bool) -> bool:
        """The customer's move after a poll; False when they give up and leave."""
        now = time.monotonic()
        if replied:
            chat.waiting_since = None
            if chat.done_at is None:
                self._answer(chat)
            return True
        if chat.done_at is not None:
            return now - chat.done_at < chat.linger
        if chat.waiting_since is not None and now - chat.waiting_since > chat.patience:
            return False
        if chat.nudges_left and now - chat.last_sent > chat.nudge_after:
            chat.nudges_left -= 1
            self._say(chat, self._rng.choice(NUDGES))
        return True

    def _answer(self, chat: _Chat) -> None:
        """An agent replied: ask a follow-up question, or thank them and wait for the close."""
        if chat.follow_ups and self._rng.random() < 0.8:
            if self._think():
                self._say(chat, chat.follow_ups.pop())
            return
        chat.done_at = time.monotonic()
        if self._rng.random() < 0.7 and self._think():
            self._say(chat, self._rng.choice(CLOSINGS), expects_reply=False)

    def _think(self) -> bool:
        return not self._pause(*THINK_S)

    def _pause(self, low: float, high: float) -> bool:
        """Waits a random while scaled by the simulator's tempo; True if stopped meanwhile."""
        return self._stop.wait(self._rng.uniform(low, high) * self._sim.tempo)

    def _rate(self, chat: _Chat) -> None:
        if self._rng.random() >= 0.85:
            return
        score = self._rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 5, 5))[0]
        comment = self._rng.choice(RATING_COMMENTS[score])
        self._call("POST", "/visitor/rating", token=chat.token,
                   json={"score": score, "comment": comment})
        self._sim.count("ratings")

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        read_timeout: float = 10.0,
    ) -> dict[str, Any]:
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._http.request(
            method, f"{self._sim.url}{API_PREFIX}{path}", json=json, params=params,
            headers=headers, timeout=(CONNECT_TIMEOUT_S, read_timeout),
        )
        if response.status_code >= 400:
            raise _ApiError.from_response(response)
        if not response.content:
            return {}
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("the answer is not a JSON object")
        return body


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0: {text!r}")
    return value


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {text!r}")
    return int(text)


def _base_url(text: str) -> str:
    if not re.match(r"^https?://[^/\s]+", text):
        raise argparse.ArgumentTypeError(f"expected http(s)://host[:port], got {text!r}")
    return text.rstrip("/")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m server.simulate",
        description="Simulated customers chatting with KefuDesk through the visitor API.",
    )
    parser.add_argument("--url", required=True, type=_base_url,
                        help="server base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--customers", required=True, type=_positive_int,
                        help="simulated customers chatting at the same time")
    parser.add_argument("--rate", required=True, type=_positive_float,
                        help="customer messages per second, in total (about)")
    parser.add_argument("--duration", type=_positive_float, default=None,
                        help="stop after this many seconds (default: until Ctrl+C)")
    parser.add_argument("--company", default=None,
                        help=f"company domain to visit, e.g. {DEMO_DOMAIN}")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    return parser.parse_args(argv)


def _run_until_done(sim: Simulator, duration: float | None) -> None:
    """Waits for `duration` seconds or Ctrl+C, in short steps (Ctrl+C works on Windows too)."""
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while not sim.wait(0.5 if deadline is None else min(0.5, deadline - time.monotonic())):
            if deadline is not None and time.monotonic() >= deadline:
                return
    except KeyboardInterrupt:
        print("simulate: stopping…", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sim = Simulator(args.url, args.customers, args.rate, company=args.company, seed=args.seed)
    until = f"for {args.duration:g} s" if args.duration else "until Ctrl+C"
    print(f"simulate: {args.customers} customers, about {args.rate:g} messages/s, "
          f"{sim.url}, {until}", file=sys.stderr)
    sim.start()
    try:
        _run_until_done(sim, args.duration)
    finally:
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl+C while joining
            sim.stop()
    stats = sim.stats
    print(stats.summary())
    return 1 if stats.errors and not stats.sessions else 0


if __name__ == "__main__":
    raise SystemExit(main())
