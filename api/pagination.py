"""One way to page through lists: ``limit``/``offset`` in, ``{items, total, limit, offset}`` out."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from engine.db import Page as EnginePage

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


def paged(found: EnginePage[Any], params: PageParams, convert: Callable[[Any], T]) -> Page[T]:
    """The API's page of what an engine read returned for ``params``."""
    return Page[T](items=[convert(row) for row in found.rows], total=found.total, limit=params.limit, offset=params.offset)
