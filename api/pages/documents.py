"""Printable documents: the subject-access export as a Thai document (PDPA s.30).

The document stands alone: its print stylesheet is inside it, allowed by its hash in the
document's own Content-Security-Policy, so a copy saved from the browser prints the same way.
No script runs in it. Dates are Buddhist-era, in Tak time, as on every page.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from api.pages.names import NetworkNames
from api.pages.rendering import environment
from engine.network.definition import Network
from engine.privacy.export import SubjectAccessExport
from engine.protocols.disclosure import LEGAL_BASES

DOCUMENT_STYLE = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "TH Sarabun New", "Sarabun", "Garuda", "Loma", sans-serif; font-size: 11pt; line-height: 1.45;
       color: #000; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #444; }
h3 { font-size: 12pt; margin: 5mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { border: 1px solid #888; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
dl { display: grid; grid-template-columns: 45mm 1fr; gap: 0.5mm 3mm; margin: 1mm 0 3mm; }
dt { font-weight: bold; }
dd { margin: 0; white-space: pre-wrap; }
.case { break-before: page; }
.note { font-size: 10pt; color: #333; }
@media print { a { color: #000; text-decoration: none; } }
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(DOCUMENT_STYLE.encode("utf-8")).digest()).decode("ascii")
DOCUMENT_CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

READ_ACTIONS_TH = {
    "case.viewed": "เปิดดูกรณี",
    "case.audit_viewed": "อ่านบันทึกการตรวจสอบของกรณี",
    "task.viewed": "เปิดดูงาน",
    "task.comments_viewed": "อ่านความเห็นในงาน",
    "case.exported": "ส่งออกข้อมูลตามคำขอ",
    "cases.searched": "ค้นหากรณี",
    "cases.listed": "แสดงในรายการกรณี",
    "child.matches_viewed": "ค้นหาระเบียนเด็กระหว่างรับแจ้ง",
}
CHANGE_ACTIONS_TH = {
    "case.child_linked": "เชื่อมระเบียนกับกรณี",
    "child.updated": "เพิ่มข้อมูลในระเบียน",
    "child.rectified": "แก้ไขข้อมูลให้ถูกต้อง",
}
TASK_STATES_TH = {"open": "รอดำเนินการ", "claimed": "มีผู้รับงานแล้ว", "completed": "เสร็จแล้ว", "cancelled": "ยกเลิก"}
ESCALATION_STATES_TH = {"open": "ยังไม่มีผู้รับทราบ", "acknowledged": "รับทราบแล้ว", "resolved": "แก้ไขแล้ว"}
RELATIONS_TH = {
    "parent": "บิดามารดา", "step_parent": "พ่อเลี้ยงแม่เลี้ยง", "adoptive_parent": "ผู้รับบุตรบุญธรรม",
    "civil_code_guardian": "ผู้ปกครองตามประมวลกฎหมายแพ่งและพาณิชย์", "curator": "ผู้อนุบาล",
    "welfare_guardian": "ผู้ปกครองสวัสดิภาพ", "custodian": "ผู้รับเด็กไว้อุปการะเลี้ยงดู",
    "person_child_lives_with": "บุคคลที่เด็กอาศัยอยู่ด้วย", "employer": "นายจ้าง", "relative": "ญาติ", "other": "อื่น ๆ",
}
REFERRAL_RELATIONS_TH = {
    "referred_to": "ส่งต่อไปยัง", "referred_from": "รับส่งต่อจาก",
    "reopened_as": "เปิดกรณีใหม่เป็น", "reopened_from": "เปิดใหม่จากกรณีที่ปิดแล้ว",
}
LEGAL_BASES_TH = {code: f"{basis.title_th} ({basis.sections_th})" for code, basis in LEGAL_BASES.items()}


def shown_value(value: Any, choices: dict[str, str] | None = None) -> str:
    """A form value as a reader reads it: a choice by its Thai title (``"ไทย / English"``)."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "ใช่" if value else "ไม่ใช่"
    if isinstance(value, list):
        return ", ".join(shown_value(item, choices) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown_value(item)}" for key, item in value.items())
    if choices and str(value) in choices:
        return choices[str(value)].split(" / ", 1)[0]
    return str(value)


def render_subject_access(export: SubjectAccessExport, network: Network) -> str:
    names = NetworkNames(network, "th")

    def unit(code: str | None) -> str:
        """A reporting unit (a school) or an agency, by its Thai name."""
        if code in network.units:
            return network.units[code].name_th
        return names.agency(code) or "-"

    template = environment("th").get_template("documents/subject_access.html")
    return template.render(
        export=export, names=names, style=DOCUMENT_STYLE, shown_value=shown_value, read_actions=READ_ACTIONS_TH,
        change_actions=CHANGE_ACTIONS_TH, task_states=TASK_STATES_TH, escalation_states=ESCALATION_STATES_TH,
        relations=RELATIONS_TH, referral_relations=REFERRAL_RELATIONS_TH, legal_bases=LEGAL_BASES_TH, unit=unit,
    )
