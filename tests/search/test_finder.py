"""The model finder: probes rank models by how well their features fit the user's classes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.hub
from PIL import Image

from designer.data import tuxpaint_source
from designer.project.data_config import SAMPLE_TUXPAINT, DataConfig, PreparedData, prepare_data
from designer.search.finder import (
    PROBE_SIZE,
    FinderCancelled,
    FinderError,
    find_models,
    load_results,
    open_candidate,
    probe_head,
)
from designer.search.shortlist import Candidate, by_hand, plan
from designer.zoo.bundled import LITE0, MOBILENET_V2_BACKBONE
from designer.zoo.preprocessing import Preprocessing

needs_photos = pytest.mark.skipif(
    tuxpaint_source() is None,
    reason="Tux Paint photos missing: apt-get install tuxpaint-stamps-default")
SIZE = 112


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No downloaded weights: every torchvision model would need a download."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "hub"


def _colour_data(root: Path, per_class: int = 12) -> PreparedData:
    rng = random.Random(0)
    for index, name in enumerate(("red", "green", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            colour = [rng.randint(0, 80) for _ in range(3)]
            colour[index] = rng.randint(150, 255)
            Image.new("RGB", (24, 24), tuple(colour)).save(root / name / f"{i}.png")
    return prepare_data(DataConfig(source=str(root), image_size=32), Preprocessing(),
                        check_health=False)


def _accuracy(model: torch.nn.Module, data: PreparedData, split: str) -> float:
    from torch.utils.data import DataLoader

    right = total = 0
    with torch.no_grad():
        for images, labels in DataLoader(data.datasets[split], batch_size=32):
            right += int((model(images).argmax(1) == labels).sum())
            total += len(labels)
    return right / total


@pytest.mark.needs_photos
@needs_photos
def test_pretrained_models_rank_above_their_random_weight_twins(tmp_path: Path) -> None:
    data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT), Preprocessing(), check_health=False)
    shortlist = by_hand([LITE0, MOBILENET_V2_BACKBONE], controls=True)
    result = find_models(data, shortlist, image_size=SIZE, save_to=tmp_path)

    by_label = {r.label: r for r in result.results}
    assert len(by_label) == 4 and not result.skipped
    for model in (LITE0, MOBILENET_V2_BACKBONE):
        pretrained, random_twin = by_label[model], by_label[f"{model} (random weights)"]
        assert pretrained.cv_accuracy >= random_twin.cv_accuracy + 0.2, (pretrained, random_twin)
        assert pretrained.latency_ms > 0 and pretrained.size_mb > 1
    assert {r.weights for r in result.ranked()[:2]} == {"pretrained"}
    assert by_label[LITE0].imagenet_top1 == 75.1  # shown beside the probe's accuracy

    # saved in the project as data, and one click opens the model with the probe as its head
    [saved] = load_results(tmp_path)
    assert saved.to_dict() == result.to_dict()
    row = next(r for r in saved.results if r.label == LITE0)
    head = probe_head(saved, row)
    assert head is not None and head[0].shape == (5, 1280)
    design = open_candidate(row.candidate, saved.classes, image_size=SIZE, head=head)
    assert design.info.class_names == tuple(data.classes)
    assert design.frozen_layers(), "the backbone stays frozen"
    test_data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=SIZE),
                             design.info.preprocessing, check_health=False)
    opened = _accuracy(design.build(), test_data, "test")
    assert row.test_accuracy is not None
    assert abs(opened - row.test_accuracy) <= 1 / 26 + 1e-9, "the head starts where the probe is"


def test_candidates_needing_a_download_are_listed_up_front_and_skipped(
        empty_hub: Path, tmp_path: Path) -> None:
    shortlist = [Candidate("resnet18"), Candidate("mobilenet_v3_small", "none")]
    cost = plan(shortlist)
    assert [(c.model, round(mb)) for c, mb in cost.downloads] == [("resnet18", 45)]
    assert "45 MB" in cost.summary() and "resnet18" in cost.summary()
    data = _colour_data(tmp_path / "data")
    result = find_models(data, shortlist, image_size=32, folds=3, save_to=tmp_path / "project")
    assert [r.label for r in result.results] == ["mobilenet_v3_small (random weights)"]
    assert result.skipped[0][0] == "resnet18" and "download" in result.skipped[0][1]
    assert result.downloads == (("resnet18", pytest.approx(44.7, abs=0.5)),)
    assert not list(empty_hub.rglob("*.pth")), "nothing was downloaded"
    assert load_results(tmp_path / "project")[0].skipped == result.skipped


def test_cancel_keeps_the_models_finished_so_far(empty_hub: Path, tmp_path: Path) -> None:
    data = _colour_data(tmp_path / "data")
    shortlist = [Candidate("mobilenet_v3_small", "none"), Candidate("squeezenet1_1", "none")]
    seen: list[str] = []

    def cancel() -> bool:
        return any("squeezenet1_1" in message for message in seen)

    with pytest.raises(FinderCancelled) as stopped:
        find_models(data, shortlist, image_size=32, folds=3, save_to=tmp_path / "project",
                    progress=lambda _f, message: seen.append(message), cancel=cancel)
    assert [r.model for r in stopped.value.partial.results] == ["mobilenet_v3_small"]
    assert [r.model for r in load_results(tmp_path / "project")[0].results] == \
        ["mobilenet_v3_small"]


def test_a_probe_file_outside_its_folder_is_refused(empty_hub: Path, tmp_path: Path) -> None:
    data = _colour_data(tmp_path / "data")
    find_models(data, [Candidate("mobilenet_v3_small", "none")], image_size=32, folds=3,
                save_to=tmp_path / "project")
    [folder] = (tmp_path / "project" / "finder").iterdir()
    document = json.loads((folder / "finder.json").read_text())
    assert document["results"][0]["probe_file"] == "probe-0.safetensors"
    document["results"][0]["probe_file"] = "../../../secret.safetensors"
    (folder / "finder.json").write_text(json.dumps(document))
    [saved] = load_results(tmp_path / "project")
    with pytest.raises(FinderError, match="cannot be read"):
        probe_head(saved, saved.results[0])


def test_probe_weights_are_the_heads_weights_for_raw_features() -> None:
    """The standardisation is folded into the weights: the head needs no scaler."""
    from designer.search.probe import Features, fit_probe

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, (3, 8))
    labels = np.repeat(np.arange(3), 20)
    x = (centres[labels] + rng.normal(0, 1, (60, 8)) + 100).astype(np.float32)
    fit = fit_probe(Features((x, labels), (x, labels), True), folds=4)
    assert fit.cv_accuracy > 0.9 and fit.test_accuracy is not None and fit.test_accuracy > 0.9
    logits = x @ fit.weight.T + fit.bias
    assert (logits.argmax(1) == labels).mean() == fit.test_accuracy


@pytest.mark.slow
@pytest.mark.needs_photos
@needs_photos
def test_lite0_probe_is_within_5_points_of_a_full_frozen_backbone_run(tmp_path: Path) -> None:
    """What the finder shows for Lite0 is what a real frozen-backbone training run reaches."""
    from designer.project.workflow import train_design
    from designer.training.options import TrainingOptions

    size = PROBE_SIZE
    data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=size), Preprocessing(),
                        check_health=False)
    [row] = find_models(data, [Candidate(LITE0)], image_size=size).results
    design = open_candidate(row.candidate, data.classes, image_size=size)
    train_data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=size),
                              design.info.preprocessing, check_health=False)
    run = train_design(design, train_data, TrainingOptions(epochs=30, lr=3e-3, seed=0),
                       runs_root=tmp_path)
    assert run.evaluation is not None and run.evaluation.accuracy is not None
    assert abs(row.cv_accuracy - run.evaluation.accuracy) <= 0.05, (row, run.evaluation)


def test_find_model_command_prints_the_probes_as_json(
        empty_hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from designer.cli import main

    _colour_data(tmp_path / "data")
    code = main(["find-model", str(tmp_path / "data"), "--models", "squeezenet1_1",
                 "--controls", "--image-size", "32", "--folds", "3", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [r["model"] + "/" + r["weights"] for r in document["results"]] == \
        ["squeezenet1_1/none"]
    assert document["skipped"][0][0] == "squeezenet1_1" and "download" in document["skipped"][0][1]
    assert document["classes"] == ["blue", "green", "red"]
