"""A rule row's source in the page's language: the seeded sources (seeds/rules.json, written in English) have their
Chinese in seeds/rules.zh.json; a source an administrator wrote is shown as written (it is their text)."""

from __future__ import annotations

import json
from functools import cache

from service.config import ROOT
from service.web import i18n

TRANSLATIONS = ROOT / "seeds" / "rules.zh.json"


@cache
def _chinese() -> dict[str, str]:
    found = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["sources"]
    return {item["en"]: item["zh"] for item in found}


def source(text: str | None) -> str:
    """`text` in Chinese on Chinese pages when it is a seeded source, else as it is."""
    if not text:
        return ""
    return _chinese().get(text, text) if i18n.current() == "zh" else text
