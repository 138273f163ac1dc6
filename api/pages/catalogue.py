"""Keeping the Thai catalogue in step with the code (``make messages``; checked by the tests).

``python -m api.pages.catalogue`` extracts every message id from the templates and the page
code, adds new ids to ``api/locale/th/LC_MESSAGES/messages.po`` (untranslated, for a person to
write), and drops ids that are no longer used. A test fails while any id lacks its Thai.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from api.pages.i18n import catalogue_path
from engine.settings import PROJECT_ROOT

METHOD_MAP = [("api/pages/**.py", "python"), ("api/templates/**.html", "jinja2")]
OPTIONS_MAP = {"api/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
HEADER = "# Thai for the Khumkrong pages: English message ids, Thai translations (Apache-2.0)."
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted_ids(root: Path = PROJECT_ROOT) -> set[str]:
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        root, method_map=METHOD_MAP, options_map=OPTIONS_MAP, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def update_catalogue(language: str = "th") -> tuple[int, int]:
    """Add new ids and drop unused ones; returns (added, dropped)."""
    path = catalogue_path(language)
    with path.open("rb") as source:
        old = read_po(source, locale=language)
    wanted = extracted_ids()
    # The header stays as it was (no creation date churn in every diff).
    catalogue = Catalog(locale=language, project="Khumkrong", version="0.1.0", fuzzy=False,
                        copyright_holder="the Khumkrong authors", creation_date=old.creation_date,
                        revision_date=old.revision_date, header_comment=HEADER)
    for message_id in sorted(wanted):
        existing = old.get(message_id)
        catalogue.add(message_id, existing.string if existing is not None else "")
    added = len(wanted - {m.id for m in old if m.id})
    dropped = len({m.id for m in old if m.id} - wanted)
    with path.open("wb") as target:
        write_po(target, catalogue, width=0, sort_output=True)
    return added, dropped


if __name__ == "__main__":  # pragma: no cover - `make messages`
    new, unused = update_catalogue()
    print(f"api/locale/th: {new} new message(s) to translate, {unused} unused dropped")
