"""Demo accounts: the named ones of seeds/demo_people.json, a staff member and a head for every department, and an
account for every expert, agency and supervision member of the libraries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from service import db
from service.models import Agency, Department, Expert, SupervisionMember, User
from service.people.directory import create_user
from service.people.passwords import hash_password

DEMO_PASSWORD = "demo-jixiao"


def accounts(engine: Engine, named_file: Path) -> list[dict[str, Any]]:
    """Every demo account to create (username, display name, department, roles)."""
    users = list(json.loads(named_file.read_text(encoding="utf-8"))["users"])
    with db.read(engine) as conn:
        depts = conn.execute(select(Department.id, Department.name, Department.kind)
                             .where(Department.kind.in_(("department", "unit")))).all()
        experts = conn.execute(select(Expert.username, Expert.name).where(Expert.username.is_not(None))).all()
        agencies = conn.execute(select(Agency.username, Agency.name).where(Agency.username.is_not(None))).all()
        members = conn.execute(select(SupervisionMember.username, SupervisionMember.name)
                               .where(SupervisionMember.username.is_not(None))).all()
    for d in depts:
        users.append({"username": f"{d.id}.staff", "display_name": f"{d.name}经办人", "department_id": d.id,
                      "roles": ["department_staff"]})
        users.append({"username": f"{d.id}.head", "display_name": f"{d.name}负责人", "department_id": d.id,
                      "roles": ["department_head"]})
    users += [{"username": e.username, "display_name": f"{e.name}（评审专家）", "roles": ["expert"]} for e in experts]
    users += [{"username": a.username, "display_name": f"{a.name}评价员", "roles": ["agency_evaluator"]}
              for a in agencies]
    users += [{"username": m.username, "display_name": f"{m.name}（监督指导）", "department_id": "czj",
               "roles": ["supervisor"]} for m in members]
    return users


def create_accounts(engine: Engine, users: list[dict[str, Any]], now: datetime) -> int:
    """Create the accounts that do not exist yet; all share the demo password, hashed once."""
    with db.read(engine) as conn:
        existing = set(conn.execute(select(User.username)).scalars())
    pw_hash = hash_password(DEMO_PASSWORD)
    made = 0
    for u in users:
        if u["username"] in existing:
            continue
        with db.write(engine) as conn:
            create_user(conn, "seed", username=u["username"], display_name=u["display_name"], password=DEMO_PASSWORD,
                        roles=u["roles"], department_id=u.get("department_id"), now=now, password_hash=pw_hash)
        existing.add(u["username"])
        made += 1
    return made
