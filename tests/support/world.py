"""Test data written straight into the server's database: companies, teams, agents."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from server import models as m
from server.db import Database, open_database
from server.security import hash_password, initial_password

PASSWORD = "Kefu2024ok"


@dataclass(frozen=True)
class CompanyRef:
    id: str
    domain: str
    team_id: str
    other_team_id: str


@dataclass(frozen=True)
class AgentRef:
    id: str
    account: str
    password: str
    name: str
    team_id: str
    role: str


class World:
    """Each test makes its own company, so tests sharing one server never see each other."""

    _serial = itertools.count(1)

    def __init__(self, database_url: str) -> None:
        self.db: Database = open_database(database_url)

    def company(self, *, max_load: int = 8, auto_reply: str = "") -> CompanyRef:
        n = next(self._serial)
        domain = f"t{uuid.uuid4().hex[:8]}.test"
        company_id, team_id, other_id = (str(uuid.uuid4()) for _ in range(3))
        with self.db.write() as session:
            session.add(m.Company(id=company_id, domain=domain, name=f"测试公司{n}"))
            session.flush()
            session.add(m.Team(id=team_id, company_id=company_id, name="售前组",
                               receives_visitors=True, max_load=max_load, auto_reply=auto_reply))
            session.add(m.Team(id=other_id, company_id=company_id, name="售后组",
                               receives_visitors=False, max_load=max_load))
        return CompanyRef(company_id, domain, team_id, other_id)

    def agent(
        self,
        company: CompanyRef,
        *,
        team_id: str | None = None,
        role: str = "agent",
        changed: bool = True,
        name: str | None = None,
        manages: tuple[str, ...] = (),
    ) -> AgentRef:
        employee_id = f"{uuid.uuid4().int % 10**8:08d}"
        password = PASSWORD if changed else initial_password(employee_id)
        agent_id = str(uuid.uuid4())
        team = team_id or company.team_id
        account = f"{employee_id}@{company.domain}"
        display = name or f"客服{employee_id[-3:]}"
        with self.db.write() as session:
            session.add(m.Agent(
                id=agent_id, company_id=company.id, team_id=team, employee_id=employee_id,
                account=account, name=display, role=role, password_hash=hash_password(password),
                must_change_password=not changed,
            ))
            session.flush()
            for managed in manages:
                session.add(m.TeamManager(agent_id=agent_id, team_id=managed))
        return AgentRef(agent_id, account, password, display, team, role)

    def customer_with_order(self, company: CompanyRef, *, status: str = "已付款",
                            team_id: str | None = None) -> tuple[str, str, str]:
        """(customer_id, order_id, order_no)"""
        customer_id, order_id = str(uuid.uuid4()), str(uuid.uuid4())
        order_no = f"DD{uuid.uuid4().int % 10**12:012d}"
        team = team_id or company.team_id
        with self.db.write() as session:
            session.add(m.Customer(id=customer_id, company_id=company.id, team_id=team,
                                   nickname="老顾客", phone="13812345678",
                                   address="浙江省杭州市西湖区文三路100号",
                                   id_number="330102199001011234"))
            session.flush()
            session.add(m.Order(id=order_id, company_id=company.id, team_id=team,
                                order_no=order_no, customer_id=customer_id, status=status,
                                total_cents=19900, lines=[], history=[]))
        return customer_id, order_id, order_no

    def tag(self, company: CompanyRef, name: str = "支付异常") -> str:
        tag_id = str(uuid.uuid4())
        with self.db.write() as session:
            session.add(m.Tag(id=tag_id, company_id=company.id, level=1, name=name))
        return tag_id

    def close(self) -> None:
        self.db.engine.dispose()
