"""`netdesigner audit DATA --json` lists what the audit found, in the same order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.audit import AuditFeatures, audit_features
from designer.cli import main
from tests.audit.conftest import PlantedData, needs_photos


@pytest.mark.needs_photos
@needs_photos
def test_cli_prints_the_same_ranked_suspects(planted: PlantedData, lite0_features: AuditFeatures,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    store = planted.root.parent / "features"
    assert main(["audit", str(planted.root), "--json", "--cache-dir", str(store)]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = audit_features(lite0_features)
    assert [s["path"] for s in printed["suspects"]] == [s.path for s in expected.suspects]
    top = {s["path"]: s for s in printed["suspects"][:20]}
    assert sum(path in top for path in planted.moved) >= 8
    assert printed["leakage_pairs"] >= 1
    assert printed["source"] == "efficientnet_lite0_bundled (pretrained)"


def test_cli_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "is not a folder" in err and "Traceback" not in err
