"""Every message a model check writes has a code, and every code reads in Chinese and in English on the pages.

The designer's page shows a model's problems in the page's language (service/web/designer.py) from the error's
code and parameters; the API keeps the English message beside them. A check added without a code, or a code
without its sentence, would put English (or a raw key) on a Chinese page.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from service.bpm import parsing
from service.web import i18n

ROOT = Path(__file__).resolve().parents[3]
CHECKING = [ROOT / "service/bpm" / name for name in ("model_checks.py", "parsing.py", "deploy.py")]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _codes() -> dict[str, set[str]]:
    """Each ModelError(...) call's code (its fifth argument) and the parameter names it passes."""
    found: dict[str, set[str]] = {}
    for path in CHECKING:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ModelError":
                assert len(node.args) >= 5, f"{path.name}:{node.lineno}: a ModelError without a code"
                code = node.args[4]
                if isinstance(code, ast.JoinedStr):  # f"flow_missing_{end}"
                    names = {"flow_missing_target", "flow_missing_source"}
                else:
                    assert isinstance(code, ast.Constant), f"{path.name}:{node.lineno}"
                    names = {code.value}
                params = node.args[5] if len(node.args) > 5 else None
                keys = {k.value for k in params.keys} if isinstance(params, ast.Dict) else set()
                for name in names:
                    found.setdefault(name, set()).update(keys)
    return found


def test_every_model_check_names_a_code():
    codes = _codes()
    assert len(codes) >= 30 and "" not in codes


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_code_reads_in_both_languages(lang):
    for code, params in _codes().items():
        key = f"model_error_{code}"
        assert key in i18n.STRINGS[lang], key
        sentence = i18n.text(key, lang=lang, **{p: "x" for p in params})
        assert ("{" not in sentence or "${" in sentence) and sentence.strip()
        assert bool(HAN.search(sentence)) == (lang == "zh"), sentence


def test_a_bad_upload_gets_its_problems_coded():
    bad = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" isExecutable="true">' \
          b'<userTask id="t" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" camunda:priority="high" ' \
          b'camunda:formKey="nowhere"/></process></definitions>'
    _, errors = parsing.validate_bundle({"a.bpmn": bad, "bad name.txt": b""}, {}, max_file_bytes=100_000,
                                        max_elements=100, max_depth=5)
    assert {e.code for e in errors} == {"file_name", "form_missing", "priority", "no_outgoing"}
    priority = next(e for e in errors if e.code == "priority")
    assert i18n.text("model_error_priority", lang="zh", **priority.params) == "camunda:priority：“high”不是 0–100 的数字"
