"""A refusal of the domain (service/errors.py) said in the page's language.

The domain writes its details in English for the API's problem+json, which keeps them as they are. A page shows
the detail on English pages; on Chinese pages it shows the matching sentence of texts.py for the refusals a
person meets while working a task (claim, delegate, complete, evidence), and otherwise the general sentence of
the error's kind — never the English detail.
"""

from __future__ import annotations

import re

from service.attachments.detect import UnsupportedFileType
from service.errors import Conflict, EngineFailure, Forbidden, InvalidTransition, JixiaoError, NotFound, PayloadTooLarge
from service.web import i18n

# The domain's details (service/bpm/access.py, evidence.py, running.py) → the texts.py key; named groups fill
# the sentence's placeholders.
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"^auditors read and change nothing$", "refused_auditor"),
    (r"^you are not a candidate for this task$", "refused_not_candidate"),
    (r"^task \S+ is claimed by (?P<user>\S+)$", "refused_claimed_by"),
    (r"^task \S+ is not claimed$", "refused_not_claimed"),
    (r"^task \S+ is already \w+: its attachments can no longer change$", "refused_attachments_closed"),
    (r"^task \S+ is already \w+$", "refused_task_closed"),
    (r"^task \S+ is \w+, not ready$", "refused_not_ready"),
    (r"^a delegated task returns to its owner when the delegate completes it$", "refused_delegated_returns"),
    (r"^claim the task before delegating it$", "refused_claim_first"),
    (r"^you cannot delegate a task to yourself$", "refused_delegate_self"),
    (r"^no active user '(?P<user>[^']*)'$", "refused_no_user"),
    (r"^only supervisors reassign tasks$", "refused_only_supervisors_reassign"),
    (r"^only user tasks can be completed$", "refused_only_user_tasks"),
    (r"^only the person who uploaded an attachment may delete it$", "refused_attachment_owner"),
    (r"^attachment \S+ is already deleted$", "refused_attachment_deleted"),
    (r"^the file is larger than \d+ bytes$", "error_too_large"),
    (r"^escalation \d+ is already resolved$", "refused_escalation_resolved"),
    (r"^escalation \d+ was decided or handed up meanwhile$", "refused_escalation_resolved"),
    (r"^escalation \d+ is already with the bureau's leadership$", "refused_escalation_with_leadership"),
    (r"^this escalation was handed to the bureau's leadership", "refused_escalation_leadership_decides"),
    (r"^only supervisors (decide escalations|hand an escalation up)", "refused_escalation_supervisors"),
    (r"^task \S+ is delegated: its delegate completes it", "refused_task_delegated"),
    (r"^the instance was changed by someone else meanwhile", "refused_stale"),
))


def text(error: JixiaoError, lang: str | None = None) -> str:
    """The refusal as a sentence for a page in `lang` (the current language by default)."""
    lang = lang or i18n.current()
    if lang == "en":
        return error.detail
    for pattern, key in _KNOWN:
        found = pattern.match(error.detail)
        if found:
            return i18n.text(key, lang, **found.groupdict())
    if isinstance(error, EngineFailure):
        return i18n.text("refused_engine_failure", lang)
    if isinstance(error, UnsupportedFileType):
        return i18n.text("refused_file_type", lang)
    if isinstance(error, Forbidden):
        return i18n.text("error_forbidden", lang)
    if isinstance(error, NotFound):
        return i18n.text("error_not_found", lang)
    if isinstance(error, PayloadTooLarge):
        return i18n.text("error_too_large", lang)
    if isinstance(error, Conflict | InvalidTransition):
        return i18n.text("error_conflict", lang)
    return i18n.text("error_invalid", lang)
