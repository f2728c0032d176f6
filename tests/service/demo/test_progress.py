"""The demo's progress: a bar on the console, a file the pages read while the build runs, and a
banner on the pages that goes away when the build is done or its builder is gone."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from service.demo.progress import Progress, building


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_redrawn_in_place_on_a_terminal_and_the_file_says_how_far(tmp_path):
    path, out = tmp_path / "p.json", _Tty()
    ticks = iter(range(100))
    bar = Progress(path, out, monotonic=lambda: float(next(ticks)))
    bar.update(0.25, "2026-08-05 监控报告")
    assert building(path) == {**json.loads(path.read_text(encoding="utf-8")), "fraction": 0.25}
    assert building(path)["phase"] == "2026-08-05 监控报告"
    bar.update(0.1)  # never moves back
    assert bar.fraction == 0.25
    bar.finish("432 cycle instances")
    text = out.getvalue()
    assert text.count("\r") >= 2 and text.endswith("\n") and "100%" in text and "25%" in text
    assert building(path) is None  # finished: no banner


def test_a_log_gets_a_line_per_tenth_not_a_line_per_update(tmp_path):
    out = io.StringIO()
    bar = Progress(tmp_path / "p.json", out)
    for i in range(1000):
        bar.update(i / 1000, None)
    bar.finish("done")
    lines = out.getvalue().splitlines()
    assert 10 <= len(lines) <= 12 and "\r" not in out.getvalue()


def test_a_build_whose_process_is_gone_shows_no_banner(tmp_path):
    path = tmp_path / "p.json"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path.write_text(json.dumps({"fraction": 0.4, "phase": "x", "finished": False, "pid": int(gone.stdout)}))
    assert building(path) is None
    path.write_text("not json")
    assert building(path) is None
    assert building(tmp_path / "missing.json") is None
