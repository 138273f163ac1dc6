"""Languages of the pages: Thai first, English on request.

Message ids are the English text; ``api/locale/th/LC_MESSAGES/messages.po`` holds the Thai. The
catalogue is read and compiled in memory when first needed (Babel's own reader and writer), so
there is no build step and no compiled ``.mo`` file to keep in step with the ``.po``.
``make messages`` re-extracts the ids from the templates and the Python code.
"""
from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
LANGUAGE_COOKIE = "khumkrong_lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
CATALOGUE_DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations of one language; English is the message ids themselves."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    path = catalogue_path(language)
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language, domain=CATALOGUE_DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=CATALOGUE_DOMAIN)


def language_of(request: Request) -> str:
    """The language chosen with the switch (a cookie), else Thai."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
