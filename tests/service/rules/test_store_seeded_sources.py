"""A database seeded before the sources were corrected upgrades to them: a rule row still holding the source it
was seeded with gets the corrected one, a row an administrator changed keeps the administrator's; the seeded
library indicators learn the comparator their standard values are met by."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from typing import Any

from sqlalchemy import text

from service.config import ROOT
from service.db import make_engine
from service.migrate import upgrade

MIGRATION = next((ROOT / "migrations" / "versions").glob("*_sources_and_indicator_comparator.py"))
SEEDED_NOW = {(r["key"], r.get("year", 2014), r.get("level", "*")): r["source"]
              for r in json.loads((ROOT / "seeds" / "rules.json").read_text(encoding="utf-8"))["rules"]}


def _migration() -> object:
    spec = importlib.util.spec_from_file_location("sources_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_seeded_sources_are_corrected_and_an_administrators_stays(tmp_path):
    sources = _migration()._SOURCES  # type: ignore[attr-defined]
    revision = MIGRATION.name.split("_", 1)[0]
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, revision=f"{int(revision) - 1:04d}")
    engine = make_engine(url)
    try:
        (key, year, level, before, _), (changed_key, changed_year, changed_level, *_) = sources[0], sources[1]
        with engine.begin() as conn:
            insert = text("INSERT INTO rules (fiscal_year, level, key, value, source, updated_at, updated_by) "
                          "VALUES (:y, :l, :k, '1', :s, :t, 'seed')")
            conn.execute(insert, {"y": year, "l": level, "k": key, "s": before, "t": datetime(2015, 1, 1)})
            conn.execute(insert, {"y": changed_year, "l": changed_level, "k": changed_key,
                                  "s": "本地做法：市政府常务会议决定", "t": datetime(2015, 1, 1)})
            for code, quantitative in (("HLT-05", True), ("HLT-07", True), ("GEN-06", False)):
                conn.execute(text("INSERT INTO library_indicators (code, name, level, category, scope, status, "
                                  "quantitative, sectors, standards) VALUES (:c, :c, 3, 'social', 'common', "
                                  "'confirmed', :q, '[]', '{}')"), {"c": code, "q": quantitative})
        upgrade(url)
        with engine.connect() as conn:
            got = dict(conn.execute(text("SELECT key, source FROM rules")).all())
            comparators = dict(conn.execute(text("SELECT code, comparator FROM library_indicators")).all())
    finally:
        engine.dispose()
    assert got[key] == SEEDED_NOW[(key, year, level)]
    assert got[changed_key] == "本地做法：市政府常务会议决定"
    assert comparators == {"HLT-05": "<=", "HLT-07": ">=", "GEN-06": "qualitative"}


def test_the_migration_knows_every_corrected_row():
    # a row seeded anew by a later migration (its value changed too) carries its source on from this one's
    later = {(key, year, level): (before, now) for key, year, level, before, _, now, _ in _reseeded()}
    for key, year, level, before, now in _migration()._SOURCES:  # type: ignore[attr-defined]
        assert before != now
        if (key, year, level) in later:
            assert later[(key, year, level)][0] == now
            now = later[(key, year, level)][1]
        assert SEEDED_NOW[(key, year, level)] == now


def _reseeded() -> tuple[tuple[Any, ...], ...]:
    path = next((ROOT / "migrations" / "versions").glob("*_trainings_and_performance_reports.py"))
    spec = importlib.util.spec_from_file_location("reseeding_migration", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module._RESEEDED  # type: ignore[no-any-return]


def test_a_row_seeded_before_the_training_records_is_seeded_anew_and_an_administrators_stays(tmp_path):
    [(key, year, level, before_source, before_value, now_source, now_value)] = _reseeded()
    for changed in (False, True):
        url = f"sqlite:///{tmp_path / f'old-{changed}.sqlite3'}"
        upgrade(url, revision="0019")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO rules (fiscal_year, level, key, value, source, updated_at, updated_by) "
                                  "VALUES (:y, :l, :k, :v, :s, :t, 'seed')"),
                             {"y": year, "l": level, "k": key, "v": before_value,
                              "s": "本地做法：局务会议决定" if changed else before_source, "t": datetime(2015, 1, 1)})
            upgrade(url)
            with engine.connect() as conn:
                value, source = conn.execute(text("SELECT value, source FROM rules WHERE key = :k"), {"k": key}).one()
        finally:
            engine.dispose()
        if changed:
            assert (json.loads(value), source) == (json.loads(before_value), "本地做法：局务会议决定")
        else:
            assert (json.loads(value), source) == (json.loads(now_value), now_source)
            assert SEEDED_NOW[(key, year, level)] == now_source
