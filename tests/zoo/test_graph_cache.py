"""A zoo model's graph from its last open is drawn at the next open before torch is loaded;
it is only ever drawn (the design is traced from the real module), and a cache file that is
damaged, made for other library versions or named outside its folder is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.core.network import NetworkState
from designer.surgery import opening as surgery_opening
from designer.ui.zoo import opening as zoo_opening
from designer.zoo import graph_cache


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(graph_cache, "user_cache_dir", lambda: tmp_path)
    return tmp_path / "graphs"


@pytest.mark.parametrize("name", ["resnet18", "maxvit_t"])
def test_a_remembered_graph_comes_back_equal(folder: Path, name: str) -> None:
    graph = surgery_opening.preview_graph(name)
    assert graph is not None
    assert graph_cache.cached_graph(name) is None
    graph_cache.remember_graph(name, graph)
    assert (folder / f"{name}.json").is_file()
    assert graph_cache.cached_graph(name) == graph


def test_other_versions_a_damaged_file_and_odd_names_are_ignored(folder: Path) -> None:
    graph = surgery_opening.preview_graph("resnet18")
    assert graph is not None
    graph_cache.remember_graph("resnet18", graph)
    path = folder / "resnet18.json"
    data = json.loads(path.read_text())
    data["key"]["versions"]["torch"] = "0.1"
    path.write_text(json.dumps(data))
    assert graph_cache.cached_graph("resnet18") is None, "made by another torch"
    data["key"] = graph_cache._key("resnet18")
    data["graph"]["layers"][3] = {"name": 7}
    path.write_text(json.dumps(data))
    assert graph_cache.cached_graph("resnet18") is None, "a damaged file"
    graph_cache.remember_graph("../escape", graph)
    assert graph_cache.cached_graph("../escape") is None
    assert not (folder.parent / "escape.json").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["resnet18.json"]


def test_the_next_open_draws_the_cached_graph_first_then_the_traced_design(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[NetworkState] = []
    first = zoo_opening.open_model("resnet18", "none", analyse=False, preview=shown.append)
    assert len(shown) == 1 and shown[0] == first.network.state()  # the meta-device preview
    assert graph_cache.cached_graph("resnet18") == shown[0]

    def no_meta(_name: str) -> None:
        raise AssertionError("the cached graph is drawn: no meta-device trace is needed")

    monkeypatch.setattr(surgery_opening, "preview_graph", no_meta)
    second = zoo_opening.open_model("resnet18", "none", analyse=False, preview=shown.append)
    assert len(shown) == 2 and shown[1] == shown[0] == second.network.state()
    assert second.network is not first.network and set(second.store) == set(first.store)
