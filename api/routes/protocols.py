"""The protocol library: versions, their BPMN, drafts with lint findings, publishing."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel

from api.deps import ClockDep, CurrentUser, NetworkDep, SessionDep, require_role
from api.problems import errors
from api.schemas import MAX_ID
from engine.errors import InvalidInput, KhumkrongError
from engine.forms.service import form_catalogue
from engine.people.actors import Actor
from engine.people.roles import AUTHORING_ROLES
from engine.protocols import service as protocols
from engine.protocols.loading import MAX_BPMN_BYTES as MAX_BYTES
from engine.protocols.models import ProtocolVersion

router = APIRouter(tags=["protocols"])
Author = Annotated[Actor, Depends(require_role(AUTHORING_ROLES, "author protocols"))]
ProtocolKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="The protocol's key, e.g. p1_abuse_report.")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID, description="The version number.")]


class PayloadTooLarge(KhumkrongError):
    code = "payload-too-large"


class VersionOut(BaseModel):
    key: str
    version: int
    name: str
    process_id: str
    published: bool
    published_at: datetime | None
    created_at: datetime
    content_hash: str

    @classmethod
    def of(cls, row: ProtocolVersion) -> VersionOut:
        return cls(key=row.key, version=row.version, name=row.name, process_id=row.process_id, published=row.published,
                   published_at=row.published_at, created_at=row.created_at, content_hash=row.content_hash)


class ProtocolOut(BaseModel):
    key: str
    name: str
    published_version: int | None
    latest_version: int
    versions: list[VersionOut]


class FindingOut(BaseModel):
    code: str
    severity: str
    message_en: str
    message_th: str
    element_id: str | None
    line: int | None


class DraftOut(BaseModel):
    version: VersionOut
    findings: list[FindingOut]


@router.get("/protocols", summary="Every protocol with its versions")
def list_protocols(session: SessionDep, _actor: CurrentUser) -> list[ProtocolOut]:
    return [
        ProtocolOut(key=p.key, name=p.name, published_version=p.published_version, latest_version=p.latest_version,
                    versions=[VersionOut.of(v) for v in p.versions])
        for p in protocols.protocol_library(session=session)
    ]


@router.get(
    "/protocols/{key}/versions/{version}/bpmn",
    summary="The BPMN XML of one version, as uploaded",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}}, **errors(404)},
)
def get_bpmn(session: SessionDep, _actor: CurrentUser, key: ProtocolKey, version: VersionNumber) -> Response:
    row = protocols.get_version(session=session, key=key, version=version)
    return Response(row.bpmn_text.encode("utf-8"), media_type="application/xml")


async def bpmn_body(request: Request) -> bytes:
    """The raw request body, refused early when larger than the loader would accept."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        raise PayloadTooLarge(f"a protocol may be at most {MAX_BYTES:,} bytes", field="body")
    # Read as it streams, and stop at the limit: a chunked body declares no length.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise PayloadTooLarge(f"a protocol may be at most {MAX_BYTES:,} bytes", field="body")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise InvalidInput("the request body must be the BPMN XML of the protocol", field="body")
    return body


@router.post(
    "/protocols/{key}/drafts",
    status_code=status.HTTP_201_CREATED,
    summary="Store a new version from BPMN XML; answers its lint findings (422 when any is an error)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/xml": {"schema": {"type": "string"}}, "text/xml": {"schema": {"type": "string"}},
    }}},
    responses=errors(404, 413, 422),
)
def store_draft(
    session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Author, key: ProtocolKey,
    body: Annotated[bytes, Depends(bpmn_body)],
) -> DraftOut:
    version, findings = protocols.store_draft(
        session=session, key=key, bpmn=body, network=network, clock=clock, actor=actor,
        forms=form_catalogue(session), known_messages=protocols.known_start_messages(session=session, include_drafts=True),
    )
    return DraftOut(version=VersionOut.of(version), findings=[FindingOut(**f.as_dict()) for f in findings])


@router.post(
    "/protocols/{key}/versions/{version}/publish",
    summary="Publish a version: new cases start on it, running cases keep theirs",
    responses=errors(404, 409),
)
def publish(session: SessionDep, clock: ClockDep, actor: Author, key: ProtocolKey, version: VersionNumber) -> VersionOut:
    return VersionOut.of(protocols.publish(session=session, key=key, version=version, clock=clock, actor=actor))
