"""Hardened loading of uploaded BPMN.

SpiffWorkflow parses with lxml's default parser and hands expression text straight to its script
engine, so an uploaded model is parsed here first, with a locked-down parser, and refused when it
could read files, exhaust memory or run code. A model that passes comes back as an lxml tree,
with plain timer literals quoted, ready for ``SpiffBpmnParser().add_bpmn_xml(tree, filename)``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from engine.workflow.expressions import ExpressionError, check_expression
from engine.workflow.parsing import BPMN_NS, CAMUNDA_NS, SPIFF_NS
from engine.workflow.timers import TIMER_EXAMPLES, TIMER_EXAMPLES_TH, InvalidTimerText, validate_timer_text

__all__ = [
    "BPMN_NS",
    "CAMUNDA_NS",
    "MAX_BPMN_BYTES",
    "MAX_ELEMENT_DEPTH",
    "SPIFF_NS",
    "ProtocolRejected",
    "canvas_element",
    "expression_texts",
    "load_bpmn",
]

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"

MAX_BPMN_BYTES = 2 * 1024 * 1024
MAX_ELEMENT_DEPTH = 100


class ProtocolRejected(ValueError):
    """An uploaded model was refused; ``code`` names the rule, ``message`` explains it in
    English and ``message_th`` in Thai."""

    def __init__(
        self,
        code: str,
        message: str,
        message_th: str | None = None,
        *,
        element_id: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_th = message_th or message
        self.element_id = element_id
        self.line = line

    def __repr__(self) -> str:
        return (
            f"ProtocolRejected({self.code!r}, {self.message!r}, "
            f"element_id={self.element_id!r}, line={self.line!r})"
        )


def load_bpmn(data: bytes | str, *, filename: str = "upload.bpmn") -> etree._ElementTree:
    """Parse an uploaded BPMN document safely, or raise :class:`ProtocolRejected`."""
    raw = _as_bytes(data)
    if len(raw) > MAX_BPMN_BYTES:
        raise ProtocolRejected(
            "too-large",
            f"{filename} is {len(raw):,} bytes; the limit for a BPMN model is "
            f"{MAX_BPMN_BYTES:,} bytes (2 MiB).",
            f"{filename} มีขนาด {len(raw):,} ไบต์ เกินขนาดสูงสุดของแบบจำลอง BPMN ที่ {MAX_BPMN_BYTES:,} ไบต์ (2 MiB)",
        )
    _check_encoding(raw)
    _refuse_doctype_text(raw)
    root = _parse(raw, filename)
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise ProtocolRejected("doctype", _DOCTYPE_MESSAGE, _DOCTYPE_MESSAGE_TH)
    _check_depth(root)
    if root.tag != _tag(BPMN_NS, "definitions"):
        raise ProtocolRejected(
            "not-bpmn",
            f"The root element is {_display_name(root)}, not bpmn:definitions "
            f"({BPMN_NS}); this does not look like a BPMN 2.0 model.",
            f"องค์ประกอบรากของเอกสารคือ {_display_name(root)} ไม่ใช่ bpmn:definitions ({BPMN_NS}) "
            "เอกสารนี้จึงไม่ใช่แบบจำลอง BPMN 2.0",
            line=root.sourceline,
        )
    _refuse_forbidden_elements(root)
    _quote_timer_literals(root)
    _check_expressions(root)
    return tree


# --- bytes, encoding, DOCTYPE, parsing -------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_DECL_ENCODING = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_DOCTYPE_MESSAGE = (
    "The document contains a DOCTYPE declaration, which is not allowed: DTDs can define entities "
    "that read local files, reach the network or expand to gigabytes. BPMN models never need one; "
    "remove it."
)
_DOCTYPE_MESSAGE_TH = (
    "เอกสารมีการประกาศ DOCTYPE ซึ่งไม่อนุญาต เพราะ DTD กำหนดเอนทิตีที่อ่านไฟล์ในเครื่อง เชื่อมต่อเครือข่าย "
    "หรือขยายตัวจนใหญ่หลายกิกะไบต์ได้ แบบจำลอง BPMN ไม่ต้องใช้ DOCTYPE ให้ลบออก"
)


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ProtocolRejected(
                "encoding", f"The document cannot be encoded as UTF-8: {exc.reason}.",
                f"เข้ารหัสเอกสารเป็น UTF-8 ไม่ได้ ({exc.reason})",
            ) from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_bpmn expects bytes or str, not {type(data).__name__}")
    return bytes(data)


def _check_encoding(raw: bytes) -> None:
    # The DOCTYPE scan below reads raw bytes, which only works if the bytes are UTF-8 (or
    # ASCII-compatible); a UTF-16 or EBCDIC document would hide "<!DOCTYPE" from it while lxml
    # still decodes it. Modellers' tools all write UTF-8, so anything else is simply refused.
    body = raw[len(_UTF8_BOM):] if raw.startswith(_UTF8_BOM) else raw
    if b"\x00" in body:
        raise ProtocolRejected(
            "encoding",
            "The document contains NUL bytes, so it is probably UTF-16 or UTF-32 encoded; "
            "save it as UTF-8.",
            "เอกสารมีไบต์ NUL จึงน่าจะเข้ารหัสเป็น UTF-16 หรือ UTF-32 ให้บันทึกเป็น UTF-8",
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolRejected(
            "encoding",
            f"The document is not valid UTF-8 (bad byte at offset {exc.start}); save it as UTF-8.",
            f"เอกสารไม่ใช่ UTF-8 ที่ถูกต้อง (ไบต์ผิดที่ตำแหน่ง {exc.start}) ให้บันทึกเป็น UTF-8",
        ) from None
    declared = _XML_DECL_ENCODING.match(body)
    if declared:
        name = declared.group(1).decode("ascii", "replace")
        if name.lower() not in _UTF8_NAMES:
            raise ProtocolRejected(
                "encoding",
                f"The XML declaration says encoding={name!r}; only UTF-8 is accepted. "
                "Save the model as UTF-8 and declare encoding=\"UTF-8\".",
                f"การประกาศ XML ระบุ encoding={name!r} แต่ระบบรับเฉพาะ UTF-8 "
                "ให้บันทึกแบบจำลองเป็น UTF-8 และประกาศ encoding=\"UTF-8\"",
                line=1,
            )


def _refuse_doctype_text(raw: bytes) -> None:
    # Refuse before lxml sees the DTD at all, so no entity (internal, external or parameter) is
    # ever declared, let alone expanded. A "<!DOCTYPE" inside a comment or CDATA section is
    # refused too; that costs nothing real.
    found = _DOCTYPE.search(raw)
    if found:
        line = raw.count(b"\n", 0, found.start()) + 1
        raise ProtocolRejected("doctype", _DOCTYPE_MESSAGE, _DOCTYPE_MESSAGE_TH, line=line)


def _parse(raw: bytes, filename: str) -> etree._Element:
    # A fresh parser per call: lxml parser objects must not be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        detail = exc.msg or str(exc)
        line = exc.lineno or None
        # Without huge_tree libxml2 stops at depth 256 itself, before our own walk can run.
        if "excessive depth" in detail.lower():
            raise ProtocolRejected(
                "too-deep",
                f"Elements in {filename} are nested more than 256 levels deep; the limit is "
                f"{MAX_ELEMENT_DEPTH}. ({detail})",
                f"องค์ประกอบใน {filename} ซ้อนกันลึกเกิน 256 ชั้น ขีดจำกัดคือ {MAX_ELEMENT_DEPTH} ชั้น "
                f"(ข้อความจากตัวอ่าน XML: {detail})",
                line=line,
            ) from None
        raise ProtocolRejected(
            "xml-syntax", f"{filename} is not well-formed XML: {detail}",
            f"{filename} ไม่ใช่ XML ที่สมบูรณ์ (ข้อความจากตัวอ่าน XML: {detail})", line=line,
        ) from None


def _check_depth(root: etree._Element) -> None:
    # Iterative, so a hostile document cannot exhaust the Python stack.
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_ELEMENT_DEPTH:
            owner = canvas_element(element)
            raise ProtocolRejected(
                "too-deep",
                f"Elements are nested more than {MAX_ELEMENT_DEPTH} levels deep "
                f"(at {_describe(element)}); no BPMN model needs that.",
                f"องค์ประกอบซ้อนกันลึกเกิน {MAX_ELEMENT_DEPTH} ชั้น (ที่ {_describe(element, thai=True)}) "
                "ไม่มีแบบจำลอง BPMN ใดต้องซ้อนลึกขนาดนี้",
                element_id=owner.get("id") if owner is not None else None,
                line=element.sourceline,
            )
        stack.extend((child, depth + 1) for child in element if isinstance(child.tag, str))


# --- element naming ---------------------------------------------------------------------------

_PREFIXES = {
    BPMN_NS: "bpmn",
    SPIFF_NS: "spiffworkflow",
    CAMUNDA_NS: "camunda",
    XINCLUDE_NS: "xi",
}


def _tag(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def _display_name(element: etree._Element) -> str:
    namespace, local = _split(element.tag)
    if namespace == BPMN_NS:
        # Modellers know BPMN elements by their plain names ("scriptTask", "sequenceFlow").
        return local
    prefix = _PREFIXES.get(namespace or "") or element.prefix
    if prefix:
        return f"{prefix}:{local}"
    return f"{{{namespace}}}{local}" if namespace else local


# What the BPMN canvas draws, and so what a modeller can click on: a finding names one of these.
# Event definitions, expressions, loop characteristics and extension elements have ids but no
# shape; they are reported at the shape that holds them (a timer at its boundary event).
_DRAWN = frozenset(
    _tag(BPMN_NS, local)
    for local in (
        "process", "collaboration", "participant", "lane", "sequenceFlow", "messageFlow",
        "association", "dataObjectReference", "dataStoreReference", "dataInput", "dataOutput",
        "textAnnotation", "group", "task", "userTask", "manualTask", "sendTask", "receiveTask",
        "businessRuleTask", "scriptTask", "serviceTask", "callActivity", "subProcess",
        "transaction", "adHocSubProcess", "startEvent", "endEvent", "intermediateCatchEvent",
        "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
        "inclusiveGateway", "eventBasedGateway", "complexGateway",
    )
)


def canvas_element(element: etree._Element) -> etree._Element | None:
    """The nearest ancestor-or-self the canvas draws; failing that, the nearest with an id."""
    current: etree._Element | None = element
    fallback: etree._Element | None = None
    while current is not None:
        if current.get("id"):
            if current.tag in _DRAWN:
                return current
            fallback = fallback if fallback is not None else current
        current = current.getparent()
    return fallback


def _describe(element: etree._Element, *, thai: bool = False) -> str:
    name = _display_name(element)
    owner = canvas_element(element)
    if owner is None:
        return name
    if owner is element:
        return f"{name} '{owner.get('id')}'"
    return f"{name} {'ใน' if thai else 'in'} {_display_name(owner)} '{owner.get('id')}'"


def _reject_at(code: str, element: etree._Element, message: str, message_th: str) -> ProtocolRejected:
    owner = canvas_element(element)
    return ProtocolRejected(
        code,
        message,
        message_th,
        element_id=owner.get("id") if owner is not None else None,
        line=element.sourceline,
    )


# --- forbidden elements -----------------------------------------------------------------------

_RUNS_PYTHON = (
    "it would run Python code inside the engine, which uploaded models may not do",
    "จะรันโค้ด Python ภายในเครื่องยนต์ ซึ่งแบบจำลองที่อัปโหลดทำไม่ได้",
)
_CALLS_OUT = (
    "it would call external code or services, which uploaded models may not do",
    "จะเรียกโค้ดหรือบริการภายนอก ซึ่งแบบจำลองที่อัปโหลดทำไม่ได้",
)
_CAMUNDA_LISTENER = (
    "Camunda listeners run scripts, expressions or Java classes",
    "ตัวรับเหตุการณ์ของ Camunda รันสคริปต์ นิพจน์ หรือคลาส Java",
)
_EMBEDDED_SCRIPT = (
    "embedded scripts run code, which uploaded models may not contain",
    "สคริปต์ที่ฝังไว้จะรันโค้ด ซึ่งแบบจำลองที่อัปโหลดมีไม่ได้",
)

# (English, Thai) reasons why each element is refused.
_FORBIDDEN: dict[str, tuple[str, str]] = {
    _tag(BPMN_NS, "scriptTask"): _RUNS_PYTHON,
    _tag(BPMN_NS, "globalScriptTask"): _RUNS_PYTHON,
    _tag(BPMN_NS, "script"): _RUNS_PYTHON,
    _tag(BPMN_NS, "serviceTask"): _CALLS_OUT,
    _tag(SPIFF_NS, "preScript"): _RUNS_PYTHON,
    _tag(SPIFF_NS, "postScript"): _RUNS_PYTHON,
    _tag(SPIFF_NS, "serviceTaskOperator"): _CALLS_OUT,
    _tag(CAMUNDA_NS, "script"): _RUNS_PYTHON,
    _tag(CAMUNDA_NS, "executionListener"): _CAMUNDA_LISTENER,
    _tag(CAMUNDA_NS, "taskListener"): _CAMUNDA_LISTENER,
    _tag(CAMUNDA_NS, "connector"): _CALLS_OUT,
    # Nothing calls xinclude() today, but an include is a file read waiting for one call.
    _tag(XINCLUDE_NS, "include"): (
        "XInclude pulls other files into the document", "XInclude ดึงไฟล์อื่นเข้ามาในเอกสาร",
    ),
}
_FORBIDDEN_HINT = (
    " Use user tasks, gateways and timers; anything automatic belongs in Khumkrong's code."
)
_FORBIDDEN_HINT_TH = (
    " ให้ใช้งานของผู้ใช้ (user task) ทางแยก และตัวจับเวลา งานที่ต้องทำอัตโนมัติเป็นหน้าที่ของโค้ดของคุ้มครอง"
)


def _refuse_forbidden_elements(root: etree._Element) -> None:
    for element in root.iter(etree.Element):
        reason = _FORBIDDEN.get(element.tag)
        if reason is None and _split(element.tag)[1] == "script":
            reason = _EMBEDDED_SCRIPT
        if reason is not None:
            raise _reject_at(
                "forbidden-element",
                element,
                f"{_describe(element)} is not allowed: {reason[0]}.{_FORBIDDEN_HINT}",
                f"ไม่อนุญาตให้มี {_describe(element, thai=True)} เพราะ{reason[1]}{_FORBIDDEN_HINT_TH}",
            )


# --- timers -----------------------------------------------------------------------------------

_TIMER_KINDS = {
    _tag(BPMN_NS, "timeDuration"): "duration",
    _tag(BPMN_NS, "timeDate"): "date-time",
    _tag(BPMN_NS, "timeCycle"): "cycle",
}
# Texts that a modeller meant as an ISO 8601 literal (as opposed to a Python expression such as
# ``deadline`` or ``days(3)``). Case-sensitive on purpose: ``pt24h`` is a plausible variable name.
_LOOKS_ISO = re.compile(r"(?:R[0-9]*/|PT?[0-9]|[0-9]{4}-?[0-9]{2}|[0-9]{4}-?W[0-9])", re.ASCII)
def _quote_timer_literals(root: etree._Element) -> None:
    # SpiffWorkflow evaluates timer text as an expression, so the PT24H a modeller types fails at
    # run time; a checked literal is rewritten as the string expression "PT24H" instead.
    for element in root.iter(*_TIMER_KINDS):
        kind = _TIMER_KINDS[element.tag]
        text = (element.text or "").strip()
        if not text:
            raise _reject_at(
                "invalid-timer",
                element,
                f"{_describe(element)} is empty; give {TIMER_EXAMPLES[kind]}, or an expression.",
                f"{_describe(element, thai=True)} ไม่มีค่า ให้ระบุ{TIMER_EXAMPLES_TH[kind]} หรือนิพจน์",
            )
        if not _LOOKS_ISO.match(text):
            continue
        try:
            validate_timer_text(kind, text)
        except InvalidTimerText as exc:
            raise _reject_at(
                "invalid-timer", element, f"{_describe(element)} has {_shorten(text)!r}: {exc}",
                f"{_describe(element, thai=True)} มีค่า {_shorten(text)!r} ซึ่ง{exc.message_th}",
            ) from None
        element.text = f'"{text}"'


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- expressions ------------------------------------------------------------------------------

# Every element whose text SpiffWorkflow hands to the script engine's evaluate().
_EXPRESSION_TAGS = frozenset(
    [
        *(
            _tag(BPMN_NS, local)
            for local in (
                "conditionExpression",
                "timeDuration",
                "timeDate",
                "timeCycle",
                "loopCondition",
                "completionCondition",
                "loopCardinality",
                "condition",
                "formalExpression",
                # SpiffWorkflow renames correlation formalExpressions to messagePath first.
                "messagePath",
            )
        ),
        _tag(SPIFF_NS, "messagePayload"),
        # processVariableCorrelation's retrieval expression.
        _tag(SPIFF_NS, "expression"),
    ]
)
_CORRELATION_RETRIEVAL = _tag(BPMN_NS, "correlationPropertyRetrievalExpression")


def expression_texts(root: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    """Every text SpiffWorkflow hands to the script engine, with the element to report it at."""
    for element in root.iter(etree.Element):
        if element.tag in _EXPRESSION_TAGS:
            yield element, element.text
        elif element.tag == _CORRELATION_RETRIEVAL and len(element):
            # SpiffWorkflow evaluates the text of the first child whatever it is, comments
            # included, so that child is checked whatever its name or node type.
            first = element[0]
            if first.tag not in _EXPRESSION_TAGS:
                yield (first if isinstance(first.tag, str) else element), first.text


def _check_expressions(root: etree._Element) -> None:
    for element, text in expression_texts(root):
        _check_text(text, element)


def _check_text(text: str | None, located: etree._Element) -> None:
    if text is None:
        # SpiffWorkflow treats a missing text as "no expression"; nothing is evaluated.
        return
    try:
        # The engine's evaluator strips the text before parsing it, so the checker sees the same.
        check_expression(text.strip())
    except ExpressionError as exc:
        raise _reject_at(
            "forbidden-expression",
            located,
            f"{_describe(located)} is not an allowed expression: {exc}",
            f"{_describe(located, thai=True)} ไม่ใช่นิพจน์ที่อนุญาต (เหตุผลจากตัวตรวจนิพจน์: {exc})",
        ) from None
