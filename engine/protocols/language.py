"""Thai as Thai is written, in the statute's own terms.

Two rules read the Thai of a protocol (element names and documentation) and of a form (titles,
descriptions and enum labels):

* ``thai-spacing``: Thai is written without spaces between words; a space separates phrases
  or clauses. Machine-spaced text ("การ คุ้มครอง เด็ก") is recognised by its grammatical words
  standing alone between spaces: a prefix or preposition followed by a space and more Thai
  ("การ คุ้มครอง", "ที่ ถูก"), or a particle after a space ("ได้ แล้ว"), which no phrase
  boundary explains. Content words are not judged, so a list ("อายุ ประวัติ ความประพฤติ") or a
  space between clauses stays acceptable.
* ``glossary-term``: one term for one concept. ``protocols/glossary.toml`` gives each concept's
  Thai term (from the Act where it has one) and the variants that contradict it; a variant, or a
  glossary term broken by a space, is reported with the term to use.

Both are warnings: a modeller's wording never stops an upload, but the shipped library has none.
"""
from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from engine.errors import KhumkrongError
from engine.protocols.findings import Finding, Severity
from engine.protocols.loading import BPMN_NS

THAI_CHARS = "\u0e00-\u0e7f"
_THAI_RUN = re.compile(rf"[{THAI_CHARS}]+(?:[ \u00a0]+[{THAI_CHARS}]+)+")
_MAI_YAMOK = "\u0e46"  # ๆ takes a space on both sides (Royal Institute), so it is never judged

# Words that attach to what follows: a space after them, then more Thai, splits a word or a phrase.
# (ได้ is left out: it also ends a clause, "ตาม (1) ได้ ภายในหนึ่งเดือน…".)
_NO_SPACE_AFTER = frozenset((
    "การ", "ความ", "ผู้", "นัก", "ชาว", "ที่", "ซึ่ง", "อัน", "ของ", "ใน", "จาก", "กับ", "แก่",
    "ต่อ", "ถึง", "ตาม", "สู่", "โดย", "เพื่อ", "และ", "หรือ", "แต่", "ว่า", "ให้", "ไม่", "จะ",
    "ถูก", "เป็น", "คือ", "มี", "ทั้ง", "ทุก", "แห่ง", "หาก", "ถ้า", "เมื่อ", "ยัง", "ต้อง", "อาจ",
))
# Particles that attach to what precedes: Thai, a space, then one of these splits a phrase.
_NO_SPACE_BEFORE = frozenset(("แล้ว", "นี้", "นั้น", "ด้วย", "อยู่", "ได้", "ไม่ได้", "ไป", "มา", "กัน"))

# (code, severity, title_en, title_th): the catalogue entries lint.RULES registers.
LANGUAGE_RULES: tuple[tuple[str, Severity, str, str], ...] = (
    ("thai-spacing", Severity.WARNING, "Thai words separated by spaces", "เว้นวรรคระหว่างคำภาษาไทย"),
    ("glossary-term", Severity.WARNING, "term that contradicts the glossary", "ใช้คำที่ขัดกับอภิธานศัพท์"),
)


class GlossaryInvalid(KhumkrongError):
    code = "glossary-invalid"


@dataclass(frozen=True)
class GlossaryTerm:
    th: str
    en: str
    source: str
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something wrong with a piece of Thai: which rule, the fragment, and what to write instead."""

    code: str
    fragment: str
    suggestion: str
    term: GlossaryTerm | None = None


@dataclass(frozen=True)
class Glossary:
    terms: tuple[GlossaryTerm, ...]

    def __post_init__(self) -> None:
        split: list[tuple[re.Pattern[str], GlossaryTerm]] = []
        for term in self.terms:
            if re.fullmatch(f"[{THAI_CHARS}]{{4,}}", term.th):
                # The term with a space somewhere between its letters (checked on each match).
                split.append((re.compile("[ \u00a0]?".join(re.escape(ch) for ch in term.th)), term))
        object.__setattr__(self, "_split_patterns", tuple(split))

    def problems(self, text: str) -> list[Problem]:
        found = []
        for term in self.terms:
            for variant in term.avoid:
                if variant in text:
                    found.append(Problem("glossary-term", variant, term.th, term))
        for pattern, term in self._split_patterns:  # type: ignore[attr-defined]
            for match in pattern.finditer(text):
                if " " in match.group(0) or "\u00a0" in match.group(0):
                    found.append(Problem("glossary-term", match.group(0), term.th, term))
        return found


def parse_glossary(document: dict[str, Any], *, source: str = "glossary") -> Glossary:
    terms = []
    for index, entry in enumerate(document.get("terms") or []):
        where = f"{source}: terms[{index}]"
        if not isinstance(entry, dict):
            raise GlossaryInvalid(f"{where} is not a table", field="terms")
        missing = [key for key in ("th", "en", "source") if not isinstance(entry.get(key), str) or not entry[key].strip()]
        if missing:
            raise GlossaryInvalid(f"{where} lacks {', '.join(missing)}", field="terms")
        avoid = entry.get("avoid") or []
        if not isinstance(avoid, list) or not all(isinstance(v, str) and v.strip() for v in avoid):
            raise GlossaryInvalid(f"{where}: avoid must be a list of words", field="terms")
        clashing = [v for v in avoid if v in entry["th"]]
        if clashing:
            raise GlossaryInvalid(f"{where}: the term itself contains the variant {clashing[0]!r}", field="terms")
        terms.append(GlossaryTerm(entry["th"].strip(), entry["en"].strip(), entry["source"].strip(), tuple(avoid)))
    return Glossary(tuple(terms))


def load_glossary(path: Path) -> Glossary:
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GlossaryInvalid(f"glossary {path} not found", field="glossary_file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise GlossaryInvalid(f"{path}: {exc}", field="glossary_file") from exc
    return parse_glossary(document, source=str(path))


@functools.lru_cache(maxsize=4)
def _glossary_at(path: Path) -> Glossary:
    return load_glossary(path)


def current_glossary() -> Glossary:
    """The glossary of this installation, loaded once from the settings' glossary file."""
    from engine.settings import get_settings

    return _glossary_at(Path(get_settings().glossary_file))


# -- checking text ------------------------------------------------------------------------------


def spacing_problems(text: str) -> list[Problem]:
    """Spaces that split Thai words, each with the fragment joined as it should be written."""
    found = []
    text = text or ""
    for run in _THAI_RUN.finditer(text):
        tokens = run.group(0).split()
        # An abbreviation (พมจ., พ.ร.บ.) is set off by spaces, so a space before one splits nothing.
        abbreviation = text[run.end():run.end() + 1] == "."
        for index, (left, right) in enumerate(zip(tokens, tokens[1:], strict=False)):
            if _MAI_YAMOK in (left, right):
                continue
            if abbreviation and index == len(tokens) - 2:
                continue
            if left in _NO_SPACE_AFTER or right in _NO_SPACE_BEFORE:
                found.append(Problem("thai-spacing", f"{left} {right}", f"{left}{right}"))
    return found


def text_problems(text: str, glossary: Glossary | None = None) -> list[Problem]:
    """Everything wrong with the Thai of one piece of text."""
    problems = spacing_problems(text)
    if glossary is not None:
        problems += glossary.problems(text)
    return problems


# -- protocols ----------------------------------------------------------------------------------


def _texts(tree: etree._ElementTree) -> Iterator[tuple[etree._Element, str, str]]:
    """(element, what, text) for every name and documentation a reader of the protocol sees."""
    for element in tree.getroot().iter(etree.Element):
        if etree.QName(element).namespace != BPMN_NS:
            continue
        if etree.QName(element).localname == "documentation":
            owner = element.getparent()
            yield owner, "documentation", element.text or ""
        elif element.get("name"):
            yield element, "name", element.get("name")


def _summary(problems: Iterable[Problem], *, thai: bool) -> str:
    parts = []
    for problem in problems:
        if problem.term is None:
            parts.append(f"'{problem.fragment}' → '{problem.suggestion}'")
        elif thai:
            parts.append(f"'{problem.fragment}' → '{problem.suggestion}' ({problem.term.source})")
        else:
            parts.append(f"'{problem.fragment}' → '{problem.suggestion}' ({problem.term.en}, {problem.term.source})")
    return "; ".join(parts)


def language_findings(tree: etree._ElementTree, glossary: Glossary | None = None) -> list[Finding]:
    """The language rules over a protocol's names and documentation."""
    glossary = current_glossary() if glossary is None else glossary
    findings = []
    for element, what, text in _texts(tree):
        problems = text_problems(text, glossary)
        element_id = element.get("id")
        label = f"the {what} of '{element_id}'" if element_id else f"a {what}"
        label_th = ("ชื่อ" if what == "name" else "คำอธิบาย") + (f"ของ '{element_id}'" if element_id else "")
        spacing = [p for p in problems if p.code == "thai-spacing"]
        terms = [p for p in problems if p.code == "glossary-term"]
        if spacing:
            findings.append(Finding(
                "thai-spacing", Severity.WARNING,
                f"{label} spaces Thai word by word: {_summary(spacing, thai=False)}. Thai is written "
                "without spaces between words; keep a space only between phrases or clauses.",
                f"{label_th}เว้นวรรคระหว่างคำ: {_summary(spacing, thai=True)} ภาษาไทยเขียนคำติดกัน "
                "เว้นวรรคเฉพาะระหว่างวลีหรือประโยค",
                element_id, element.sourceline,
            ))
        if terms:
            findings.append(Finding(
                "glossary-term", Severity.WARNING,
                f"{label} uses a term the glossary replaces: {_summary(terms, thai=False)}. Use the "
                "glossary's term (protocols/glossary.toml), one term for one concept.",
                f"{label_th}ใช้คำที่อภิธานศัพท์กำหนดให้ใช้คำอื่น: {_summary(terms, thai=True)} "
                "ให้ใช้คำตามอภิธานศัพท์ (protocols/glossary.toml) หนึ่งความหมายหนึ่งคำ",
                element_id, element.sourceline,
            ))
    return findings


# -- forms --------------------------------------------------------------------------------------

_FORM_TEXT_KEYS = ("title", "description")


def form_texts(schema: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) for every title, description and enum label of a form."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            here = f"{pointer}/{key}"
            if key in _FORM_TEXT_KEYS and isinstance(value, str):
                yield here, value
            elif key == "x-enum-titles" and isinstance(value, dict):
                for option, label in value.items():
                    if isinstance(label, str):
                        yield f"{here}/{option}", label
            elif isinstance(value, (dict, list)) and key not in ("enum", "const", "default", "examples"):
                yield from form_texts(value, here)
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from form_texts(item, f"{pointer}/{index}")


def form_problems(schema: Any, glossary: Glossary | None = None) -> list[tuple[str, Problem]]:
    """The language rules over a form: (JSON pointer, problem) pairs."""
    glossary = current_glossary() if glossary is None else glossary
    return [(pointer, problem) for pointer, text in form_texts(schema) for problem in text_problems(text, glossary)]


__all__ = [
    "LANGUAGE_RULES",
    "Glossary",
    "GlossaryInvalid",
    "GlossaryTerm",
    "Problem",
    "current_glossary",
    "form_problems",
    "form_texts",
    "language_findings",
    "load_glossary",
    "parse_glossary",
    "spacing_problems",
    "text_problems",
]
