"""The pages' few strings in Simplified Chinese (default) and English, chosen by ?lang= or the `lang` cookie.

A stopgap until Flask-Babel (DESIGN.md, libraries): a dict keeps the handful of sign-in strings.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, request

DEFAULT = "zh"
COOKIE = "lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
_YEAR = 365 * 24 * 3600

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "app_name": "预算绩效管理",
        "login": "登录",
        "username": "用户名",
        "password": "密码",
        "logout": "退出登录",
        "home": "首页",
        "switch_lang": "English",
        "wrong_credentials": "用户名或密码错误。",
        "too_many_failures": "登录失败次数过多，请 {minutes} 分钟后再试。",
        "missing_credentials": "请输入用户名和密码。",
        "signed_in_as": "当前用户",
        "department": "部门",
        "no_department": "不隶属于任何部门",
        "roles": "角色",
        "no_roles": "无",
        "api_docs": "接口文档（API）",
        "csrf_failed": "页面已过期或请求无效，请返回刷新页面后重试。",
        "back": "返回",
    },
    "en": {
        "app_name": "Budget performance management",
        "login": "Sign in",
        "username": "User name",
        "password": "Password",
        "logout": "Sign out",
        "home": "Home",
        "switch_lang": "中文",
        "wrong_credentials": "Wrong user name or password.",
        "too_many_failures": "Too many failed sign-ins; try again in {minutes} minutes.",
        "missing_credentials": "Enter your user name and password.",
        "signed_in_as": "Signed in as",
        "department": "Department",
        "no_department": "No department",
        "roles": "Roles",
        "no_roles": "None",
        "api_docs": "API documentation",
        "csrf_failed": "The page has expired or the request was not valid; go back, reload the page and try again.",
        "back": "Back",
    },
}


def current() -> str:
    """The language of this request: ?lang=, else the `lang` cookie, else Simplified Chinese."""
    for choice in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if choice in STRINGS:
            return choice
    return DEFAULT


def text(key: str, **values: object) -> str:
    """A string in the current language, with {placeholders} filled in."""
    template = STRINGS[current()][key]
    return template.format(**values) if values else template


def switch_url() -> str:
    """This page in the other language (the choice is then kept in the `lang` cookie)."""
    args = request.args.to_dict()
    args["lang"] = "en" if current() == "zh" else "zh"
    return f"{request.path}?{urlencode(args)}"


def remember(response: Response) -> None:
    """Keep a language chosen with ?lang= for the next pages."""
    chosen = request.args.get("lang")
    if chosen in STRINGS and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=_YEAR, httponly=True, samesite="Lax")
