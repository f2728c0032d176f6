"""While `make run` builds the demo beside the server, every page says how far it is."""

from __future__ import annotations

from service.demo import progress as demo_progress
from service.demo.progress import Progress


def test_pages_show_the_build_in_progress_in_the_page_language(web, monkeypatch, tmp_path):
    path = tmp_path / "p.json"
    monkeypatch.setattr(demo_progress, "PROGRESS_FILE", path)
    browser = web()
    assert 'id="demo-building"' not in browser.get("/login").get_data(as_text=True)
    bar = Progress(path, None)
    bar.update(0.42, "2026-08-05 监控报告")
    page = browser.get("/login").get_data(as_text=True)
    assert 'id="demo-building"' in page and "演示数据正在生成：42%" in page
    bar.finish("done")
    assert 'id="demo-building"' not in browser.get("/login").get_data(as_text=True)
