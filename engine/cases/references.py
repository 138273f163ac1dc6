"""Case reference numbers: PREFIX-YEAR-NNNNNN, numbered per prefix and year without gaps."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.cases.models import ReferenceCounter
from engine.clock import THAI_TIME
from engine.db import is_postgres


def next_reference(*, session: Session, prefix: str, at: datetime) -> str:
    year = at.astimezone(THAI_TIME).year
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(
        insert(ReferenceCounter)
        .values(prefix=prefix, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["prefix", "year"])
    )
    # The UPDATE takes the row lock, so concurrent starts are numbered one after another.
    session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
    )
    number = session.scalar(
        select(ReferenceCounter.last_number).where(
            ReferenceCounter.prefix == prefix, ReferenceCounter.year == year
        )
    )
    return f"{prefix}-{year}-{number:06d}"
