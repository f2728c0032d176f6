"""Who may open a page: the policy's answer (service/policy.py), the same action the API operation behind the page
names with `@requires`, so a page admits exactly whom its API operation admits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request
from flask.typing import ResponseReturnValue

from service import policy
from service.web.session_auth import current_web_user, login_required

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def permitted(action: policy.Action) -> Callable[[F], F]:
    """Sign-in, then the policy's `action` (given the path values): a refused user gets the 403 page
    (service/web/error_pages.py)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not policy.may(current_web_user(), action, request.view_args or {}):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator
