"""One way to page through lists: ``limit``/``offset`` in, ``{items, total, limit, offset}`` out."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_LIMIT = 200
# Deep offsets are slow and no person pages that far; a client that needs more should filter.
MAX_OFFSET = 100_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def paginate(session: Session, query: Select, params: PageParams, convert: Callable[[Any], T]) -> Page[T]:
    """Count the whole result, fetch one page of it (the query brings its own ORDER BY)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows: Sequence[Any] = session.execute(query.limit(params.limit).offset(params.offset)).all()
    return Page[T](items=[convert(row) for row in rows], total=total, limit=params.limit, offset=params.offset)
