"""The zoo is open: a model source registers itself and everything else finds it; the zoo's
modules import each other without a loop."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest
import torch
from torch import nn

import designer.zoo
from designer.zoo import registry, sources
from designer.zoo.entry import ZooEntry
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.sources import ZooSource


def _toy_entry() -> ZooEntry:
    return ZooEntry(name="toy_net", display_name="Toy Net", family="Toy", source="toy",
                    num_params=14, gflops=None, acc1=None, acc5=None, file_size_mb=None,
                    min_size=1, preprocessing=Preprocessing(), categories=("a", "b"))


def _toy_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 2))


def test_a_new_source_only_registers_itself(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    trained = _toy_model()
    weights = tmp_path / "toy.pt"
    fetched: list[str] = []

    def fetch(entry: ZooEntry, _progress: object, _cancel: object) -> Path:
        fetched.append(entry.name)
        torch.save(trained.state_dict(), weights)
        return weights

    toy = ZooSource("toy", entries=lambda: [_toy_entry()], build=lambda _e: _toy_model(),
                    fetch=fetch,
                    load=lambda m, p, _e: m.load_state_dict(torch.load(p, weights_only=True)),
                    is_cached=lambda _e: weights.is_file())
    monkeypatch.setitem(sources._SOURCES, "toy", toy)  # what the source's module would do
    assert registry.get_entry("Toy Net").name == "toy_net"
    assert "toy_net" in {e.name for e in registry.list_entries()}
    assert registry.weights_status(registry.get_entry("toy_net")) == "download"
    model = registry.create_model("toy_net", "pretrained")
    assert fetched == ["toy_net"] and not model.training
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, trained.state_dict()[key])
    assert registry.is_cached("toy_net")
    assert registry.create_model("toy_net", weights) is not None, "a weights file works too"
    assert designer.zoo.register_source is sources.register_source


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_zoo_modules_import_each_other_without_a_loop() -> None:
    """Late imports included: download ↔ registry ↔ weights was a loop held open by one."""
    folder = Path(designer.zoo.__file__).parent
    graph = nx.DiGraph()
    for path in folder.glob("*.py"):
        module = f"designer.zoo.{path.stem}"
        graph.add_node(module)
        for imported in _imports(path):
            if imported.startswith("designer.zoo.") and path.stem != "__init__":
                graph.add_edge(module, imported)
    assert list(nx.simple_cycles(graph)) == []
    assert "designer.zoo.registry" not in nx.descendants(graph, "designer.zoo.download")
