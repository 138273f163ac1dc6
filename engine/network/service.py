from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import is_postgres
from engine.network.definition import Network
from engine.network.models import Agency, Role

# Any constant will do: every process that syncs the network takes the same lock.
NETWORK_SYNC_LOCK = 7201105


def sync_network(*, session: Session, network: Network) -> None:
    """Bring the agencies and roles tables in line with the network definition (upsert)."""
    if is_postgres(session):
        # Processes starting together on a fresh database (several API servers) each sync: one at
        # a time, or two would insert the same agency. Held until the caller's transaction ends.
        session.execute(select(func.pg_advisory_xact_lock(NETWORK_SYNC_LOCK)))
    for role in network.roles.values():
        role_row = session.get(Role, role.code) or Role(code=role.code)
        role_row.name_th, role_row.name_en, role_row.bound_to_agency = role.name_th, role.name_en, role.bound_to_agency
        session.add(role_row)
    # Predecessors first, so the foreign key holds while rows are inserted.
    pending = dict(network.agencies)
    while pending:
        ready = [a for a in pending.values() if not a.predecessor or a.predecessor not in pending]
        for agency in ready:
            row = session.get(Agency, agency.code) or Agency(code=agency.code)
            row.name_th, row.name_en = agency.name_th, agency.name_en
            row.predecessor_code, row.notes, row.active = agency.predecessor, agency.notes, agency.active
            session.add(row)
            del pending[agency.code]
        session.flush()
