"""Demo data for `make run`: the Tak network, its protocols and forms, and demo accounts.

Idempotent: what is already there is left alone, so running it against a used database adds
only what is missing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.forms.catalogue import load_forms
from engine.forms.service import load_forms_folder
from engine.network.definition import Network
from engine.network.service import sync_network
from engine.people.actors import SYSTEM
from engine.people.models import User
from engine.people.passwords import hash_password
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion


@dataclass
class DemoReport:
    password: str
    users_created: list[str]
    protocols_published: list[str]
    forms: int


def demo_password(network: Network) -> str:
    return os.environ.get(network.demo_password_env) or network.demo_default_password


def load_demo(
    *, session: Session, network: Network, clock: Clock, protocols_dir: Path, forms_dir: Path
) -> DemoReport:
    sync_network(session=session, network=network)
    forms = load_forms_folder(session, folder=forms_dir, clock=clock) if forms_dir.is_dir() else 0
    session.commit()

    catalogue = load_forms(forms_dir) if forms_dir.is_dir() else None
    files = sorted(protocols_dir.glob("*.bpmn"))
    # Referrals may name any protocol of the library, including those stored after them.
    messages = {name for path in files for name in protocols.message_start_names(path.read_bytes())}
    published = []
    for path in files:
        version, _ = protocols.store_draft(
            session=session, key=path.stem, bpmn=path.read_bytes(), network=network, clock=clock,
            actor=SYSTEM, filename=path.name, forms=catalogue, known_messages=messages,
        )
        if not version.published and not session.scalar(
            select(ProtocolVersion.id).where(
                ProtocolVersion.key == version.key, ProtocolVersion.published.is_(True),
                ProtocolVersion.version > version.version,
            )
        ):
            protocols.publish(session=session, key=version.key, version=version.version, clock=clock, actor=SYSTEM)
            published.append(f"{version.key} v{version.version}")

    password = demo_password(network)
    created = []
    existing = set(session.scalars(select(User.username)))
    for account in network.demo_accounts:
        if account.username in existing:
            continue
        session.add(User(
            username=account.username, display_name=account.display_name, role_code=account.role,
            agency_code=account.agency, password_hash=hash_password(password), active=True,
            created_at=clock.now(), email=None,
        ))
        created.append(account.username)
    session.commit()
    return DemoReport(password, created, published, forms)
