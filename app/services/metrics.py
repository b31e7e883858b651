"""H12.1 metrics for a lead: the server's report by shift or time range, CSV export, last known."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient, ApiError, SyncError
from kefu_protocol.board import AgentMetrics, MetricsReport

M = TypeVar("M", bound=BaseModel)


class LeadCallFailed(Exception):
    """A lead's REST call (board, metrics) the server refused — `code` is its machine code
    ("forbidden", "not_found" …) — or could not be reached: "network"."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


MetricsFailed = LeadCallFailed


def lead_call(keeper: TokenKeeper, make_client: Callable[[], ApiClient], method: str,
              path: str, model: type[M] | None = None, **kw: Any) -> Any:
    """One authenticated call on a client of its own (the caller's net worker thread)."""
    client = make_client()
    try:
        if model is None:
            return keeper.call(lambda token: client.call(method, path, token=token, **kw))
        return keeper.call(lambda token: client.typed(model, method, path, token=token, **kw))
    except ApiError as exc:
        raise LeadCallFailed(exc.code or "invalid_request", str(exc.message)) from exc
    except SyncError as exc:
        raise LeadCallFailed("network", str(exc)) from exc
    finally:
        client.close()


@dataclass(frozen=True)
class KnownReport:
    report: MetricsReport
    fetched: float
    """When it came from the server (epoch seconds): offline the view says since when."""


CSV_COLUMNS = ("agent", "served", "first_response_median_s", "first_response_p90_s",
               "breaches", "resolved", "resolution_rate", "rated", "csat_avg",
               "csat_satisfied_rate", "converted", "conversion_rate")


def seconds(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def csv_row(m: AgentMetrics, name: str) -> list[Any]:
    """One line of the CSV, rates as fractions (Excel formats them), times in seconds."""
    def blank(v: Any) -> Any:
        return "" if v is None else v

    return [name, m.served, blank(seconds(m.first_response_median_ms)),
            blank(seconds(m.first_response_p90_ms)), m.breaches, m.resolved,
            blank(m.resolution_rate), m.rated, blank(m.csat_avg),
            blank(m.csat_satisfied_rate), m.converted, blank(m.conversion_rate)]


class MetricsService:
    """`fetch_*` run on a net worker; `to_csv` anywhere; `last` on any thread."""

    def __init__(self, *, keeper: TokenKeeper, make_client: Callable[[], ApiClient]) -> None:
        self.keeper = keeper
        self.make_client = make_client
        self._last: dict[str, KnownReport] = {}

    def fetch_shift(self, team_id: str, shift_id: str, date: dt.date) -> MetricsReport:
        return self._fetch(team_id, {"team_id": team_id, "shift_id": shift_id,
                                     "date": date.isoformat()})

    def fetch_range(self, team_id: str, start: dt.datetime, end: dt.datetime) -> MetricsReport:
        return self._fetch(team_id, {"team_id": team_id, "start": start.isoformat(),
                                     "end": end.isoformat()})

    def _fetch(self, team_id: str, params: dict[str, str]) -> MetricsReport:
        report: MetricsReport = lead_call(self.keeper, self.make_client, "GET", "/metrics",
                                          MetricsReport, params=params)
        self.remember(report)
        return report

    def remember(self, report: MetricsReport, fetched: float | None = None) -> None:
        self._last[report.team_id] = KnownReport(report, time.time() if fetched is None
                                                 else fetched)

    def last(self, team_id: str) -> KnownReport | None:
        """The last report fetched for the team (offline display)."""
        return self._last.get(team_id)

    @staticmethod
    def to_csv(report: MetricsReport, path: Path, *, headers: list[str] | None = None,
               total_name: str = "Total") -> None:
        """UTF-8 with a BOM, so Excel opens the Chinese names correctly; one line per agent
        and the team's total last."""
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers or list(CSV_COLUMNS))
            for m in report.agents:
                writer.writerow(csv_row(m, m.name))
            writer.writerow(csv_row(report.total, total_name))
