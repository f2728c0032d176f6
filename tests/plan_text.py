"""The work plan (docs/PLAN.zh.txt) as the tests read it: its outline, section by section, and its citations.

The outline is read from the plan's own text, never typed by hand: chapters 一、二、三、, subsections (一)…(五),
numbered items 1.…4., and the ordinals 一是/二是/三是 that begin a paragraph or a sentence. A section's key is
written the way the project cites it: 二, 二(三), 二(三)3, 二(三)3二是, 二(二)三是, 三(四).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "PLAN.zh.txt"
TITLE = "武汉市预算绩效管理工作方案(2014—2015年)"

_CHAPTER = re.compile(r"^([一二三])、")
_SUBSECTION = re.compile(r"^\(([一二三四五])\)")
_ITEM = re.compile(r"^(\d)\.")
_ORDINAL = re.compile(r"(?:^|(?<=。))([一二三])是", re.M)


@cache
def plan_text() -> str:
    """The plan's full text (the notice that issued it included)."""
    return PLAN.read_text(encoding="utf-8")


@cache
def outline() -> dict[str, str]:
    """Every section of the plan by its key, with its text (a section's text includes its subsections')."""
    text = plan_text()
    body = text[text.index(TITLE, text.index(TITLE) + 1) + len(TITLE):]  # the plan itself, after the notice
    sections: dict[str, list[str]] = {}
    chapter = sub = item = ""
    for line in (raw.strip() for raw in body.splitlines()):
        if not line:
            continue
        if m := _CHAPTER.match(line):
            chapter, sub, item = m.group(1), "", ""
        elif chapter and (m := _SUBSECTION.match(line)):
            sub, item = m.group(1), ""
        elif sub and (m := _ITEM.match(line)):
            item = m.group(1)
        if not chapter:
            continue
        keys = [chapter]
        if sub:
            keys.append(f"{chapter}({sub})")
        if item:
            keys.append(f"{chapter}({sub}){item}")
        for key in keys:
            sections.setdefault(key, []).append(line)
    out = {key: "\n".join(lines) for key, lines in sections.items()}
    for key, section in list(out.items()):
        if not re.search(r"\)(\d)?$", key):
            continue  # ordinals belong to a subsection or a numbered item
        marks = list(_ORDINAL.finditer(section))
        if [m.group(1) for m in marks] != list("一二三")[:len(marks)]:
            continue  # not a run of ordinals from 一是 on
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(section)
            out[f"{key}{m.group(1)}是"] = section[m.start():end]
    return out


# How the project cites the plan: "the plan 二(三)3", "方案二(一)4", "《武汉市预算绩效管理工作方案》二(四)" (a
# Chinese "方案" only where no other word ends in it: 整改方案 and 实施方案 are other plans).
_MARKER = re.compile(r"\bthe plan\b(?!'s)|《武汉市预算绩效管理工作方案(?:\(2014—2015年\))?》|(?<![\u4e00-\u9fff])方案")
_REF = r"[一二三](?:[(（][一二三四五六七八九][)）](?:\d(?:[一二三]是)?|[一二三]是)?)?"
_TAIL = r"(?:[(（][一二三四五六七八九][)）](?:\d(?:[一二三]是)?|[一二三]是)?)"  # "二(四)/(五)": same chapter
_REFS = re.compile(rf"\s*[:：]?\s*({_REF}(?:\s*(?:、|/|,|，|至|and|和|及)\s*(?:{_REF}|{_TAIL}))*)")
_NO_SECTION = re.compile(r"\s*[:：（(]")  # "the plan: …", "（方案：…）" — a citation without a section


@dataclass(frozen=True)
class Citation:
    """One citation of the plan in a text: its sections (empty: cited without one) and what follows it."""

    sections: tuple[str, ...]
    at: int


def _expand(refs: str) -> tuple[str, ...]:
    out: list[str] = []
    parts = re.split(r"\s*(、|/|,|，|至|and|和|及)\s*", refs)
    for part in parts[::2]:
        part = part.replace("（", "(").replace("）", ")")
        if part.startswith("(") and out:
            part = out[-1][0] + part
        out.append(part)
    return tuple(out)


def citations(text: str) -> list[Citation]:
    """The citations of the plan in `text`. A mention that cites nothing ("the plan gives no day count",
    "the plan's targets") is not one; "the plan:" or "方案：" with no section is one without a section."""
    found = []
    for m in _MARKER.finditer(text):
        after = text[m.end():]
        refs = _REFS.match(after)
        if refs and refs.group(1):
            found.append(Citation(_expand(refs.group(1)), m.start()))
        elif m.group(0) == "方案" and not re.match(r"\s*[:：]", after):
            continue  # "方案" in a sentence of its own ("方案二(一)" is matched above)
        elif m.group(0).startswith("《") and re.match(r"\s*[:：]", after):
            found.append(Citation((), m.start()))  # the title, then what it says, with no section
        elif not m.group(0).startswith("《") and _NO_SECTION.match(after) \
                and not after.lstrip().startswith(("(《", "（《")):
            found.append(Citation((), m.start()))
    return found


# A quotation: “…” (Chinese quotation marks) or 「…」.
_QUOTE = re.compile(r"“([^”]+)”|「([^」]+)」")
# Where a sentence ends: a quotation belongs to the plan when its sentence cites the plan.
_SENTENCE_END = re.compile(r"[。；;\n]|\.\s|\.$")


def quoted_from_plan(text: str) -> list[str]:
    """The phrases `text` quotes in a sentence that cites the plan."""
    quotes = list(_QUOTE.finditer(text))
    masked = text
    for q in quotes:  # a full stop inside a quotation ends no sentence
        masked = masked[:q.start()] + "“" + "x" * (q.end() - q.start() - 2) + "”" + masked[q.end():]
    out = []
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(masked)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if _MARKER.search(masked[start:end]):
            out += [q.group(1) or q.group(2) for q in quotes if start <= q.start() < end]
    return out


def in_plan(phrase: str) -> bool:
    """A quotation occurs verbatim in the plan (an ellipsis …… may join words the plan says in that order)."""
    text, at = plan_text(), 0
    for part in (p for p in re.split(r"……|…", phrase) if p):
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True
