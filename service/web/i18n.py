"""The pages' strings in Simplified Chinese (default) and English, chosen by ?lang= or the `lang` cookie.

A stopgap until Flask-Babel (DESIGN.md, libraries): the strings live in service/web/texts.py, key → (zh, en).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from flask import Response, current_app, has_request_context, request

from service import clock
from service.domain.roles import ROLES
from service.web.texts import TEXTS

DEFAULT = "zh"
COOKIE = "lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
LANGS = ("zh", "en")
_YEAR = 365 * 24 * 3600
_ENVIRON_KEY = "jixiao.lang"
STRINGS: dict[str, dict[str, str]] = {lang: {k: v[i] for k, v in TEXTS.items()} for i, lang in enumerate(LANGS)}
_PROCESS_EN = {zh: en for key, (zh, en) in TEXTS.items() if key.startswith("process_")}


def current() -> str:
    """The language of this request: ?lang=, else the `lang` cookie, else Simplified Chinese."""
    if not has_request_context():
        return DEFAULT
    # A page asks for every string it shows (a hundred times and more): the answer is kept with the request.
    environ = request.environ
    lang = environ.get(_ENVIRON_KEY)
    if lang is None:
        lang = environ[_ENVIRON_KEY] = _chosen()
    return str(lang)


def _chosen() -> str:
    for choice in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if choice in STRINGS:
            return choice
    return DEFAULT


def text(key: str, lang: str | None = None, **values: object) -> str:
    """A string in the current (or the given) language, with {placeholders} filled in; unknown keys as is."""
    template = STRINGS[lang or current()].get(key, key)
    return template.format(**values) if values else template


def label(prefix: str, value: object) -> str:
    """The name of a coded value (a command, a status, a sector…) in the page's language, else the code itself."""
    key = f"{prefix}{value}"
    return STRINGS[current()].get(key, str(value))


def role(name: str) -> str:
    """A role (candidate group) by its name in the page's language (DOMAIN.md, Roles); a user name as is."""

    if name not in ROLES:
        return name
    return ROLES[name][0] if current() == "zh" else STRINGS[current()].get(f"role_{name}", ROLES[name][0])


def process_label(name: str | None) -> str:
    """A process's modelled (Chinese) name, in English on English pages when texts.py names it."""
    if not name or current() == "zh":
        return name or ""
    return _PROCESS_EN.get(name, name)


def pretty(value: object) -> str:
    """JSON as people read it: indented, Chinese as Chinese."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def pick(zh: str | None, en: str | None) -> str:
    """Of a Chinese and an English name, the one for this page (the Chinese one when there is no English)."""
    return (en or zh or "") if current() == "en" else (zh or en or "")


def local_time(value: datetime | None, with_time: bool = True) -> str:
    """A stored (UTC) time as people here read it: Asia/Shanghai, minutes."""
    if value is None:
        return ""
    aware = clock.from_db(value) if value.tzinfo is None else value
    if aware is None:
        return ""
    local = aware.astimezone(clock.LOCAL)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def switch_url() -> str:
    """This page in the other language (the choice is then kept in the `lang` cookie)."""
    args = request.args.to_dict()
    args["lang"] = "en" if current() == "zh" else "zh"
    return f"{request.path}?{urlencode(args)}"


def remember(response: Response) -> None:
    """Keep a language chosen with ?lang= for the next pages."""
    chosen = request.args.get("lang")
    if chosen in STRINGS and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=_YEAR, httponly=True, samesite="Lax",
                            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
