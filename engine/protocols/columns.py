"""Names and ids a protocol hands to the database, held to the columns that store them.

SQLite stores a 300-character task name without complaint; PostgreSQL refuses it, so a protocol
with one would publish and then fail every case at its first task. The columns live in the cases
layer, above protocols, so their lengths are listed here; a test holds this table to the models.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from lxml import etree

from engine.protocols.findings import Finding, Severity
from engine.protocols.graph import executable_processes, is_flow_node
from engine.protocols.loading import BPMN_NS

# table.column → how many characters it holds, for every column that stores a protocol's names.
STORED_LENGTHS: Mapping[str, int] = {
    "work_items.task_name": 255,
    "work_items.label": 255,
    "work_items.lane": 255,
    "work_items.candidate_role": 64,
    "work_items.form_key": 255,
    "protocol_versions.process_id": 255,
    "protocol_versions.name": 255,
    "escalations.source_element": 255,
    "case_links.message": 255,
}


class _TaskColumns(Protocol):
    @property
    def task_name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def lane(self) -> str | None: ...
    @property
    def candidate_role(self) -> str | None: ...
    @property
    def form_key(self) -> str | None: ...


# What is stored, in English and Thai, and the column it goes to.
_WHAT = {
    "id": ("the id", "รหัส"),
    "name": ("the name", "ชื่อ"),
    "lane": ("the lane", "ช่องหน่วยงาน"),
    "candidate_role": ("the candidate group", "กลุ่มผู้รับงาน"),
    "form_key": ("the form key", "ชื่อแบบฟอร์ม"),
    "message": ("the message name", "ชื่อข้อความ"),
}
_TASK_FIELDS: Mapping[str, tuple[str, str]] = {
    "task_name": ("id", "work_items.task_name"),
    "label": ("name", "work_items.label"),
    "lane": ("lane", "work_items.lane"),
    "candidate_role": ("candidate_role", "work_items.candidate_role"),
    "form_key": ("form_key", "work_items.form_key"),
}


def column_findings(tree: etree._ElementTree, user_tasks: Mapping[str, _TaskColumns]) -> list[Finding]:
    """``name-too-long`` for every element with a value longer than the column that stores it.

    *user_tasks* are the parsed task descriptors (what a work item copies); the rest is read from
    the tree: the process, other flow nodes (a timer's id becomes an escalation's source) and the
    names of messages sent and received (a referral records its message).
    """
    findings: list[Finding] = []
    flagged: set[str] = set()

    def check(element_id: str, line: int | None, values: Iterable[tuple[str, str | None, str]]) -> None:
        for what, value, column in values:
            limit = STORED_LENGTHS[column]
            if value is None or len(value) <= limit or element_id in flagged:
                continue
            flagged.add(element_id)
            findings.append(_finding(element_id, line, what, value, column, limit))

    lines = {el.get("id"): el.sourceline for el in tree.getroot().iter() if isinstance(el.tag, str) and el.get("id")}
    for task_id, task in user_tasks.items():
        check(task_id, lines.get(task_id), (
            (what, getattr(task, field), attribute) for field, (what, attribute) in _TASK_FIELDS.items()
        ))
    for process in executable_processes(tree):
        check(process.get("id"), process.sourceline, (
            ("id", process.get("id"), "protocol_versions.process_id"),
            ("name", process.get("name"), "protocol_versions.name"),
        ))
        for node in process.iter():
            if is_flow_node(node) and node.get("id") not in user_tasks:
                check(node.get("id"), node.sourceline, (("id", node.get("id"), "escalations.source_element"),))
    messages = {m.get("id"): m.get("name") for m in tree.getroot().iter(f"{{{BPMN_NS}}}message")}
    for process in executable_processes(tree):
        for node in process.iter():
            if not is_flow_node(node):
                continue
            refs = [node.get("messageRef")] + [
                d.get("messageRef") for d in node.findall(f"{{{BPMN_NS}}}messageEventDefinition")
            ]
            check(node.get("id"), node.sourceline, (
                ("message", messages.get(ref), "case_links.message") for ref in refs if ref
            ))
    return findings


def _finding(element_id: str, line: int | None, what: str, value: str, column: str, limit: int) -> Finding:
    english, thai = _WHAT[what]
    shown = value if len(value) <= 40 else value[:39] + "…"
    return Finding(
        "name-too-long", Severity.ERROR,
        f"{english} of '{_short(element_id)}' ({shown!r}) is {len(value)} characters long; the "
        f"database column that stores it ({column}) holds {limit}. The protocol would publish, "
        f"then every case would fail when it reached this element. Shorten it to at most {limit} "
        "characters.",
        f"{thai}ของ '{_short(element_id)}' ({shown!r}) ยาว {len(value)} อักขระ แต่คอลัมน์ในฐานข้อมูลที่เก็บค่านี้ "
        f"({column}) เก็บได้ {limit} อักขระ โพรโทคอลจะเผยแพร่ได้ แต่ทุกคดีจะล้มเหลวเมื่อมาถึงจุดนี้ "
        f"ให้ย่อให้เหลือไม่เกิน {limit} อักขระ",
        element_id, line,
    )


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


__all__ = ["STORED_LENGTHS", "column_findings"]
