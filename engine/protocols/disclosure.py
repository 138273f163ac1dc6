"""The legal basis of a referral: what a protocol's message throw says about the disclosure.

A message that leaves a case (a referral opening another agency's case, a reply to a linked
case) discloses the child's data to others; PDPA s.24 (s.26 for sensitive data) allows that only
on a basis the controller can name. The throwing element names it in an extension property,
the form every modeller and SpiffWorkflow already read::

    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="legalBasis" value="consent"/>
        <spiffworkflow:property name="consentedBy" value="consent_given_by"/>
      </spiffworkflow:properties>
    </bpmn:extensionElements>

(``camunda:properties`` is read the same way.) Where the basis is consent, ``consentedBy``
names the form field that records who consented. The engine stores both on the case link and
in the audit event (:mod:`engine.cases.referrals`); the rules below keep every throw of the
library stating them, and keep payloads free of the child's names and age: the child travels
as the record the engine links, never as a copy.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.children.masking import IDENTIFYING_FIELDS
from engine.protocols.constants import free_names
from engine.protocols.findings import Finding, Severity
from engine.protocols.graph import label, local_name
from engine.protocols.loading import BPMN_NS, CAMUNDA_NS, SPIFF_NS

LEGAL_BASIS_PROPERTY = "legalBasis"
CONSENTED_BY_PROPERTY = "consentedBy"
CONSENT = "consent"
# Longest "who consented" kept on a case link (the forms allow 200 characters).
MAX_CONSENTED_BY = 200


@dataclass(frozen=True)
class LegalBasis:
    code: str
    title_en: str
    title_th: str
    sections_en: str
    sections_th: str


# The sections as the library's documentation lines cite them (protocols/AUTHORING.md).
LEGAL_BASES: Mapping[str, LegalBasis] = {
    basis.code: basis
    for basis in (
        LegalBasis("legal_duty", "legal duty", "การปฏิบัติตามกฎหมาย", "PDPA s.24", "มาตรา 24"),
        LegalBasis("public_task", "public task", "การปฏิบัติหน้าที่ในการใช้อำนาจรัฐ", "PDPA s.24", "มาตรา 24"),
        LegalBasis("vital_interest", "vital interest", "การป้องกันหรือระงับอันตรายต่อชีวิต ร่างกาย หรือสุขภาพ",
                   "PDPA s.24, s.26(1)", "มาตรา 24 และ 26(1)"),
        LegalBasis(CONSENT, "consent", "ความยินยอม", "PDPA ss.19, 20, 26", "มาตรา 19 20 และ 26"),
    )
}

DISCLOSURE_RULES: tuple[tuple[str, Severity, str, str], ...] = (
    ("legal-basis-missing", Severity.ERROR, "message throw states no legal basis", "การส่งข้อความไม่ระบุฐานทางกฎหมาย"),
    ("legal-basis-unknown", Severity.ERROR, "legal basis not one of the PDPA bases", "ฐานทางกฎหมายไม่ตรงกับฐานตามกฎหมายคุ้มครองข้อมูล"),
    ("consent-unrecorded", Severity.ERROR, "consent basis without the field of who consented", "ฐานความยินยอมไม่ระบุช่องผู้ให้ความยินยอม"),
    ("payload-personal-data", Severity.ERROR, "message payload copies the child's names or age", "ข้อมูลที่ส่งไปกับข้อความมีชื่อหรืออายุของเด็ก"),
)

# Fields that name or place a person, beyond the child record's own identifying fields.
_PERSONAL_FIELDS = IDENTIFYING_FIELDS | {"age", "name", "first_name", "last_name", "consent_given_by"}
_PERSONAL_PATTERN = re.compile(
    r"^(?:child|guardian|parent|student|victim|suspect|reporter|person|mother|father)_(?:first_|last_|full_|nick)?name$"
    r"|(?:^|_)(?:age|surname|nickname|birth_date|date_of_birth|national_id|g_code|address|phone)$"
)


@dataclass(frozen=True)
class Disclosure:
    """What the engine records of one disclosure: its basis and, for consent, who consented."""

    legal_basis: str | None
    consented_by: str | None = None


def disclosure_of(properties: Mapping[str, str], sender_data: Mapping[str, Any]) -> Disclosure:
    """The disclosure a throw makes, from its properties and the case's data when it threw."""
    basis = (properties.get(LEGAL_BASIS_PROPERTY) or "").strip() or None
    if basis != CONSENT:
        return Disclosure(basis)
    field = (properties.get(CONSENTED_BY_PROPERTY) or "").strip()
    value = sender_data.get(field) if field else None
    who = str(value).strip()[:MAX_CONSENTED_BY] if value not in (None, "") else None
    return Disclosure(basis, who or None)


def element_properties(element: etree._Element) -> dict[str, str]:
    """An element's extension properties, spiff-arena's winning over Camunda's (as parsing reads them)."""
    found: dict[str, str] = {}
    for namespace in (CAMUNDA_NS, SPIFF_NS):
        for prop in element.iterfind(
            f"{{{BPMN_NS}}}extensionElements/{{{namespace}}}properties/{{{namespace}}}property"
        ):
            if prop.get("name"):
                found[prop.get("name") or ""] = prop.get("value") or ""
    return found


def personal_names(expression: str) -> list[str]:
    """Variables an expression reads, and keys it writes, that name or age a person."""
    names = set(free_names(expression))
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                names.update(key.value for key in node.keys if isinstance(key, ast.Constant) and isinstance(key.value, str))
    return sorted(name for name in names if is_personal_field(name))


def is_personal_field(name: str) -> bool:
    """Whether a variable's name says it names, identifies or ages a person."""
    return name in _PERSONAL_FIELDS or _PERSONAL_PATTERN.search(name) is not None


def _payloads(element: etree._Element) -> Iterable[etree._Element]:
    yield from element.iterfind(f".//{{{SPIFF_NS}}}messagePayload")


# Fields asked by the forms filled before an element: None when no form catalogue was given.
FieldsBefore = Callable[[str], "set[str] | None"]


def disclosure_findings(
    throws: Iterable[tuple[etree._Element, str]], *, fields_before: FieldsBefore | None = None,
) -> list[Finding]:
    """The rules for each message throw that leaves the protocol (``throws``: element, message name).

    Every such throw is a disclosure, whichever agency runs the receiving protocol: a file is
    linted on its own, and the receiver's lanes may change in its next version.
    """
    findings: list[Finding] = []
    for element, name in throws:
        what, element_id, line = f"{local_name(element)} {label(element)}", element.get("id"), element.sourceline
        properties = element_properties(element)
        basis = (properties.get(LEGAL_BASIS_PROPERTY) or "").strip()
        known = ", ".join(LEGAL_BASES)
        if not basis:
            findings.append(Finding(
                "legal-basis-missing", Severity.ERROR,
                f"{what} sends message '{name}' to another case but states no legal basis for the disclosure "
                f"(PDPA s.24, s.26). Add the extension property {LEGAL_BASIS_PROPERTY} with one of: {known}.",
                f"{what} ส่งข้อความ '{name}' ไปยังกรณีอื่นแต่ไม่ระบุฐานทางกฎหมายของการเปิดเผยข้อมูล "
                f"(พระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล มาตรา 24 และ 26) ให้เพิ่มคุณสมบัติ {LEGAL_BASIS_PROPERTY} "
                f"เป็นค่าใดค่าหนึ่งต่อไปนี้ {known}",
                element_id, line,
            ))
        elif basis not in LEGAL_BASES:
            findings.append(Finding(
                "legal-basis-unknown", Severity.ERROR,
                f"{what} gives '{basis}' as the legal basis of message '{name}', which is none of the PDPA "
                f"bases the engine records ({known}). Use one of them.",
                f"{what} ระบุ '{basis}' เป็นฐานทางกฎหมายของข้อความ '{name}' ซึ่งไม่ตรงกับฐานที่ระบบบันทึก "
                f"({known}) ให้ใช้ค่าใดค่าหนึ่งในนี้",
                element_id, line,
            ))
        elif basis == CONSENT:
            field = (properties.get(CONSENTED_BY_PROPERTY) or "").strip()
            asked = fields_before(element_id or "") if (field and fields_before is not None) else None
            if not field or (asked is not None and field not in asked):
                problem = (
                    f"names '{field}' as the field of who consented, which no form before it asks for"
                    if field else f"does not say which form field records who consented ({CONSENTED_BY_PROPERTY})"
                )
                problem_th = (
                    f"ระบุ '{field}' เป็นช่องผู้ให้ความยินยอม แต่ไม่มีแบบฟอร์มก่อนหน้าที่ถามช่องนี้"
                    if field else f"ไม่ระบุช่องของแบบฟอร์มที่บันทึกผู้ให้ความยินยอม ({CONSENTED_BY_PROPERTY})"
                )
                findings.append(Finding(
                    "consent-unrecorded", Severity.ERROR,
                    f"{what} discloses on consent but {problem}: the case link could not show who consented. "
                    f"Set {CONSENTED_BY_PROPERTY} to a field of an earlier task's form.",
                    f"{what} เปิดเผยข้อมูลโดยอาศัยความยินยอม แต่{problem_th} จึงไม่มีหลักฐานว่าผู้ใดให้ความยินยอม "
                    f"ให้กำหนด {CONSENTED_BY_PROPERTY} เป็นช่องในแบบฟอร์มของงานก่อนหน้า",
                    element_id, line,
                ))
        for payload in _payloads(element):
            personal = personal_names(payload.text or "")
            if personal:
                findings.append(Finding(
                    "payload-personal-data", Severity.ERROR,
                    f"the payload of {what} (message '{name}') carries {', '.join(personal)}: a referral carries "
                    "the reason and what the receiving task needs, never copies of the child's names or age "
                    "(the engine links the child's record). Remove them from the payload.",
                    f"ข้อมูลที่ส่งไปกับ {what} (ข้อความ '{name}') มี {', '.join(personal)} การส่งต่อส่งเฉพาะเหตุผลและ"
                    "สิ่งที่งานของผู้รับจำเป็นต้องใช้ ไม่ส่งสำเนาชื่อหรืออายุของเด็ก (ระบบเชื่อมระเบียนเด็กให้เอง) "
                    "ให้นำออกจากข้อมูลที่ส่ง",
                    element_id, payload.sourceline,
                ))
    return findings
