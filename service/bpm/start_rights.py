"""Who may start a process, and with which data (DESIGN.md, Start rights), read once from the parsed model.

The model declares its starters the Camunda 7 way, on `<bpmn:process>`: `camunda:candidateStarterGroups`
(role names) and `camunda:candidateStarterUsers` (user names), comma-separated. A process that declares
neither is started only by DEFAULT_STARTERS (the bureau's roles that change things) and by the system: a
department starts a process only where the model says so. The start event's `camunda:formKey` names the
JSON Schema that start data must satisfy. Assignment variables are the variables that a user task's
`camunda:assignee` or `candidateUsers` expression reads, in the process or in anything it calls: whoever
sets one at the start decides who gets a task.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent

from service.bpm.scripting import strip_wrapper

# A user task's people (not its roles: candidate groups stay scoped to the instance's department).
ASSIGNMENT_ATTRS = ("assignee", "candidateUsers")


@dataclass(frozen=True)
class StartRights:
    """A process's declared starters, start form and assignment variables."""

    groups: frozenset[str] | None = None  # candidateStarterGroups; None when the model does not declare it
    users: frozenset[str] = frozenset()  # candidateStarterUsers
    form_key: str | None = None  # the start event's camunda:formKey (a form in forms/)
    assignment_variables: frozenset[str] = frozenset()

    @property
    def declared(self) -> bool:
        """Does the model name its starters (otherwise the safe default applies)?"""
        return self.groups is not None or bool(self.users)


def names(value: str | None) -> frozenset[str] | None:
    """`"a, b,,c"` → {a, b, c}; None (attribute absent) stays None."""
    if value is None:
        return None
    return frozenset(n.strip() for n in value.split(",") if n.strip())


def expression_variables(expression: str) -> set[str]:
    """The variable names an `${…}` expression reads (empty for a literal value or one that does not parse)."""
    if "${" not in expression and "#{" not in expression:
        return set()
    try:
        tree = ast.parse(strip_wrapper(expression), mode="eval")
    except SyntaxError:  # refused at deploy (model_checks); nothing to protect
        return set()
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def assignment_variables(specs: Iterable[Any]) -> frozenset[str]:
    """Variables read by the assignment expressions of every user task of these process specs."""
    found: set[str] = set()
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            ext = getattr(task_spec, "extensions", None) or {}
            for attr in ASSIGNMENT_ATTRS:
                value = ext.get(attr)
                if isinstance(value, str):
                    found |= expression_variables(value)
    return frozenset(found)


def rights_of(spec: Any, subprocess_specs: dict[str, Any]) -> StartRights:
    """The start rights of a parsed process (its spec carries what the parser read from `<bpmn:process>`)."""
    groups, users = getattr(spec, "jixiao_starters", (None, frozenset()))
    starts = sorted((t for t in spec.task_specs.values() if isinstance(t, StartEvent)), key=lambda t: t.bpmn_id)
    form_key = next(((t.extensions or {}).get("formKey") for t in starts if (t.extensions or {}).get("formKey")),
                    None)
    return StartRights(groups, users, form_key, assignment_variables([spec, *subprocess_specs.values()]))
