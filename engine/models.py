"""Imports every model module so the metadata is complete (for Alembic and for tests)."""
from engine.audit import AuditEvent
from engine.cases.comments import TaskComment
from engine.cases.models import Case, CaseLink, Escalation, ReferenceCounter, WorkItem
from engine.cases.restrictions import CaseRestriction, HeldReferral
from engine.children.models import Child, ChildOffer, Guardian
from engine.forms.models import Form
from engine.heartbeats import WorkerHeartbeat
from engine.network.models import Agency, Role
from engine.notify.models import OutboxMessage
from engine.people.auth import ApiToken, AuthSession, LoginAttempt
from engine.people.models import User
from engine.people.throttle import LoginThrottle
from engine.privacy.models import DestructionRecord
from engine.protocols.models import ProtocolVersion

__all__ = [
    "Agency", "ApiToken", "AuditEvent", "AuthSession", "Case", "CaseLink", "CaseRestriction", "Child", "ChildOffer",
    "DestructionRecord", "Escalation", "Form", "Guardian", "HeldReferral", "LoginAttempt", "LoginThrottle",
    "OutboxMessage", "ProtocolVersion", "ReferenceCounter", "Role", "TaskComment", "User", "WorkItem", "WorkerHeartbeat",
]
