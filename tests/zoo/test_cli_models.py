"""`netdesigner models` lists the zoo as a table or JSON."""

from __future__ import annotations

import json

import pytest

from designer.cli import main
from designer.zoo.registry import list_entries


def test_models_json_has_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(list_entries()) >= 80 + 1800 + 2  # torchvision, timm, bundled
    assert {r["source"] for r in records} == {"torchvision", "timm", "bundled"}
    assert [r["name"] for r in records] == [e.name for e in list_entries()]
    weights = {r["name"]: r["weights"] for r in records}
    assert weights["efficientnet_lite0_bundled"] == "bundled"
    assert set(weights.values()) <= {"bundled", "cached", "download", "missing package"}
    resnet50 = next(r for r in records if r["name"] == "resnet50")
    assert resnet50["acc1"] == next(e.acc1 for e in list_entries() if e.name == "resnet50")


def test_models_table_filters_by_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "convnext", "--source", "torchvision"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "source", "family"]
    rows = [line for line in lines[2:] if line.strip() and not line.startswith("4 models")]
    assert sorted(r.split()[0] for r in rows) == [
        "convnext_base", "convnext_large", "convnext_small", "convnext_tiny"]


def test_models_filter_without_match_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "no-such-net"]) == 1
    assert "No model matches these filters" in capsys.readouterr().out
