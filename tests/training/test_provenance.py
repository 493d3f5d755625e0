"""What a run records so it can be re-run: the data digest notices changed images, a re-run
replaces "auto" with what the run resolved, and a GPU run says it is not bit-exact."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from designer.training.options import TrainingOptions
from designer.training.provenance import bit_exactness, data_digest, differences, rerun_options


def _manifest(root: Path) -> dict[str, object]:
    return {"root": str(root), "classes": ["a", "b"],
            "entries": [["a/1.png", 0, "train"], ["b/2.png", 1, "val"]]}


def test_the_data_digest_changes_when_an_image_changes(tmp_path: Path) -> None:
    for name in ("a/1.png", "b/2.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"png")
    manifest = _manifest(tmp_path)
    first = data_digest(manifest)
    assert first == data_digest(manifest) and first is not None and len(first) == 64
    record = {"data_digest": first, "libraries": {}}
    assert differences(record, manifest) == []
    (tmp_path / "b/2.png").write_bytes(b"a different image")
    assert data_digest(manifest) != first
    assert "not the ones the run recorded" in differences(record, manifest)[0]
    os.utime(tmp_path / "b/2.png", ns=(0, 0))
    assert data_digest(manifest) != first
    assert data_digest(None) is None


def test_a_rerun_uses_the_resolved_choices_instead_of_auto() -> None:
    record = {"resolved": {"device": "cpu", "mixed_precision": "bf16", "channels_last": "off",
                           "num_workers": 0}}
    options = rerun_options(TrainingOptions(channels_last="on", seed=4), record)
    assert options.mixed_precision == "bf16" and options.num_workers == 0
    assert options.channels_last == "on", "a choice the user made stays"
    assert options.device == "cpu" and options.seed == 4


def test_only_cpu_runs_promise_bit_exact_reruns() -> None:
    assert bit_exactness(torch.device("cpu"))[0] is True
    exact, why = bit_exactness(torch.device("cuda", 0))
    assert exact is False and "GPU" in why
