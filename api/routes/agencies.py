"""The network: agencies, their reporting units, roles and the committee."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, NetworkDep

router = APIRouter(tags=["network"])


class AgencyOut(BaseModel):
    code: str
    name_th: str
    name_en: str
    active: bool
    predecessor: str | None
    escalation_chain: list[str]


class UnitOut(BaseModel):
    code: str
    agency: str
    name_th: str
    name_en: str


class RoleOut(BaseModel):
    code: str
    name_th: str
    name_en: str
    bound_to_agency: bool


class CommitteeOut(BaseModel):
    name_th: str
    name_en: str
    chair_agency: str
    secretary_agency: str
    member_agencies: list[str]


class NetworkOut(BaseModel):
    province_th: str
    province_en: str
    agencies: list[AgencyOut]
    units: list[UnitOut]
    roles: list[RoleOut]
    committee: CommitteeOut | None


@router.get("/agencies", summary="The network: agencies, reporting units, roles, committee")
def agencies(network: NetworkDep, _actor: CurrentUser) -> NetworkOut:
    committee = network.committee
    return NetworkOut(
        province_th=network.province_th,
        province_en=network.province_en,
        agencies=[
            AgencyOut(code=a.code, name_th=a.name_th, name_en=a.name_en, active=a.active, predecessor=a.predecessor,
                      escalation_chain=list(network.escalation_chain(a.code)))
            for a in sorted(network.agencies.values(), key=lambda a: a.code)
        ],
        units=[UnitOut(code=u.code, agency=u.agency, name_th=u.name_th, name_en=u.name_en)
               for u in sorted(network.units.values(), key=lambda u: u.code)],
        roles=[RoleOut(code=r.code, name_th=r.name_th, name_en=r.name_en, bound_to_agency=r.bound_to_agency)
               for r in network.roles.values()],
        committee=CommitteeOut(
            name_th=committee.name_th, name_en=committee.name_en, chair_agency=committee.chair_agency,
            secretary_agency=committee.secretary_agency, member_agencies=list(committee.member_agencies),
        ) if committee else None,
    )
