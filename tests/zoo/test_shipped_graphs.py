"""The bundled models' graphs shipped with the app (designer/zoo/graphs, drawn at their first
open before torch is imported) are exactly what opening them traces with the pinned libraries;
when a library or the app's version changes they must be written again, and this says how."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.surgery import opening as surgery_opening
from designer.surgery.opening import open_model
from designer.ui.zoo import opening as zoo_opening
from designer.zoo import graph_cache
from designer.zoo.bundled import bundled_names

REWRITE = "run `python packaging/ship_graphs.py` and commit designer/zoo/graphs"


@pytest.mark.parametrize("name", bundled_names())
def test_the_shipped_graph_is_what_the_open_traces(name: str) -> None:
    assert (graph_cache.SHIPPED / f"{name}.json").is_file(), f"no shipped graph: {REWRITE}"
    shipped = graph_cache.shipped_graph(name)
    assert shipped is not None, f"made by other library versions: {REWRITE}"
    assert shipped == open_model(name, "bundled", analyse=False).network.state(), REWRITE


def test_a_first_open_draws_the_shipped_graph_without_a_meta_trace(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(graph_cache, "user_cache_dir", lambda: tmp_path)  # nothing opened yet
    name = bundled_names()[0]

    def no_meta(_name: str) -> None:
        raise AssertionError("the shipped graph is drawn: no meta-device trace is needed")

    monkeypatch.setattr(surgery_opening, "preview_graph", no_meta)
    shown: list[object] = []
    design = zoo_opening.open_model(name, "bundled", analyse=False, preview=shown.append)
    assert shown == [graph_cache.shipped_graph(name)] == [design.network.state()]


def test_a_shipped_graph_of_other_versions_or_an_odd_name_is_not_drawn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_cache, "_versions", lambda: {"torch": "0.1"})
    assert graph_cache.shipped_graph(bundled_names()[0]) is None
    assert graph_cache.shipped_graph("../graph_cache") is None
