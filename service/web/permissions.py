"""Who may open an administration page: exactly whom the API operation behind it admits.

A page names the API operation it mirrors (a MethodView method carrying `@requires`); the rule is read from
there, so a role set is written once (service/api/blueprint.py) and the pages cannot drift from the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import abort, request
from flask.typing import ResponseReturnValue

from service.api.blueprint import Requirement
from service.domain.roles import ADMINISTRATOR, Principal
from service.web.auth import current_web_user, login_required

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def requirement_of(operation: Any) -> Requirement:
    """The `@requires` of an API operation (a MethodView method)."""
    needed = getattr(operation, "jixiao_requires", None)
    if not isinstance(needed, Requirement):
        raise TypeError(f"{operation!r} carries no @requires")
    return needed


def admits(operation: Any, user: Principal | None, path_values: Mapping[str, Any] | None = None) -> bool:
    """Would the API operation admit `user` (with these path values)?"""
    return user is not None and requirement_of(operation).allows(user, path_values or {})


def same_as(operation: Any) -> Callable[[F], F]:
    """Sign-in, then the API operation's rule: a refused user gets the 403 page (service/web/error_pages.py)."""
    requirement_of(operation)  # fail at import, not at the first request, if the operation has no rule

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not admits(operation, current_web_user(), request.view_args):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def administrator(user: Principal | None) -> bool:
    """Administrators keep what has no API operation of its own (the mail outbox, as `jixiao notifications`)."""
    return user is not None and not user.system and ADMINISTRATOR in user.roles


def administrators_only(view: F) -> F:
    """Sign-in, then administrators only (the 403 page for anyone else)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not administrator(current_web_user()):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)  # type: ignore[return-value]
