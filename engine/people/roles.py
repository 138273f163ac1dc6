"""The role names the engine's rules speak of, in one place.

The network definition (``protocols/network.toml``) lists the roles and names them in Thai and
English; the codes below are the ones the rights and visibility rules are written against, so a
role is never spelt out anywhere else.
"""
from __future__ import annotations

CASE_WORKER_ROLE = "case_worker"
SUPERVISOR_ROLE = "supervisor"
POLICY_ROLE = "policy"
COMMITTEE_ROLE = "committee"
ADMIN_ROLE = "admin"
# The engine itself (timers, the command line, rehearsals): never a person, never signed in.
SYSTEM_ROLE = "system"

# Roles that work tasks inside their own agency; a supervisor may also work any of its tasks.
WORKING_ROLES = frozenset({CASE_WORKER_ROLE, SUPERVISOR_ROLE})
# Province-wide roles that see every case and may handle any escalation.
PROVINCE_ROLES = frozenset({COMMITTEE_ROLE, ADMIN_ROLE})
# Roles that read case data at all (within the agency rule of the visibility rules for the
# working roles).
CASE_READING_ROLES = WORKING_ROLES | PROVINCE_ROLES
# Roles that may open a case: the people who receive reports, and the province-wide roles.
CASE_STARTING_ROLES = WORKING_ROLES | PROVINCE_ROLES
# Roles that author protocols and forms.
AUTHORING_ROLES = frozenset({POLICY_ROLE, ADMIN_ROLE})
# Aggregate counts name no child, so planners may see them; case workers have their task lists.
REPORT_ROLES = frozenset({SUPERVISOR_ROLE, POLICY_ROLE, COMMITTEE_ROLE, ADMIN_ROLE})
# Roles that handle escalations (which ones is decided per escalation by the rights).
ESCALATION_ROLES = WORKING_ROLES | PROVINCE_ROLES
# Roles that watch late work: an agency's supervisors (their agency's), the committee and
# administrators (the whole network's).
SUPERVISION_ROLES = frozenset({SUPERVISOR_ROLE}) | PROVINCE_ROLES
# Whoever runs a training session or rehearses a protocol moves the simulated clock.
TRAINING_ROLES = frozenset({ADMIN_ROLE, POLICY_ROLE})
# Roles shown a child's name and identifiers: the people who work the child's cases (within the
# visibility rules). Province-wide oversight (committee, administrators) reads initials and the
# case reference instead (PDPA s.22 minimisation; CPA ss.27, 50): it judges work, not children.
IDENTITY_ROLES = WORKING_ROLES
# Roles that answer for the data of the cases they may see to the child it is about (PDPA
# ss.30-36: release it, rectify it, restrict it): an agency's supervisors for their agency's
# cases, and the committee, which may call for any case's file (CPA s.20(6)), for all.
DATA_PROTECTION_ROLES = frozenset({SUPERVISOR_ROLE, COMMITTEE_ROLE})


def may_work_seat(*, role: str, agency_code: str | None, seat_agency: str | None, seat_role: str | None) -> bool:
    """Whether someone in ``role`` at ``agency_code`` may work a task of ``seat_agency`` that asks
    for ``seat_role`` (the task's candidate group): the one rule behind working a task, naming an
    assignee in a protocol, and reassigning."""
    if role not in WORKING_ROLES or agency_code is None or agency_code != seat_agency:
        return False
    if seat_role and seat_role in WORKING_ROLES:
        return role == seat_role or role == SUPERVISOR_ROLE
    return True
