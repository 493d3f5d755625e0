"""Every format writes a file that, loaded back on its own, computes what the model computes."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
import safetensors
import torch
from torch import Tensor, fx

from designer.export import FORMATS, SUFFIXES, ExportReport, Format, export_model, load_exported
from designer.zoo.preprocessing import Preprocessing

pytestmark = pytest.mark.filterwarnings("error")  # exporter warnings must not escape

LABELS = ["cat", "dog", "bird"]
PRE = Preprocessing(resize_size=20, crop_size=16, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))


def _export(
    model: fx.GraphModule, fmt: Format, folder: Path, example: Tensor, labels: list[str] | None = LABELS
) -> ExportReport:
    return export_model(
        model,
        fmt,
        folder / f"model{SUFFIXES[fmt]}",
        example_input=example,
        labels=labels,
        preprocessing=PRE,
    )


def _assert_reloaded_matches(model: fx.GraphModule, path: Path, shape: tuple[int, ...]) -> None:
    """Independent of the exporter's own check: new batch sizes, fresh random inputs."""
    loaded = load_exported(path, model=model)
    model.eval()
    for batch in (2, 5):
        x = torch.randn(batch, *shape)
        with torch.no_grad():
            expected = model(x)
        (got,) = loaded(x)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_tiny_cnn_round_trips(fmt: Format, tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    report = _export(tiny, fmt, tmp_path, tiny_input)

    assert report.path == tmp_path / f"model{SUFFIXES[fmt]}"
    assert report.path.is_file()
    assert 0.0 <= report.max_abs_diff <= 1e-4
    assert [d.split(":")[0] for d in report.check_inputs] == ["batch 1", "batch 3"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folder left"
    _assert_reloaded_matches(tiny, report.path, (3, 16, 16))


@pytest.mark.parametrize("fmt", FORMATS)
def test_labels_and_preprocessing_travel_with_the_file(
    fmt: Format, tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = _export(tiny, fmt, tmp_path, tiny_input)

    loaded = load_exported(report.path, model=tiny)
    assert loaded.labels == tuple(LABELS)
    assert loaded.preprocessing == PRE.to_dict()
    assert Preprocessing.from_dict(loaded.preprocessing) == PRE


def test_safetensors_writes_side_files_and_header(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = _export(tiny, "safetensors", tmp_path, tiny_input)

    assert set(report.paths) == {
        tmp_path / "model.safetensors",
        tmp_path / "labels.json",
        tmp_path / "preprocessing.json",
    }
    assert json.loads((tmp_path / "labels.json").read_text()) == LABELS
    assert json.loads((tmp_path / "preprocessing.json").read_text())["crop_size"] == 16
    with safetensors.safe_open(str(report.path), framework="pt") as handle:
        header = handle.metadata()
        keys = set(handle.keys())
    assert json.loads(header["labels"]) == LABELS
    assert keys == set(tiny.state_dict())


def test_safetensors_without_labels_writes_no_labels_file(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = _export(tiny, "safetensors", tmp_path, tiny_input, labels=None)

    assert not (tmp_path / "labels.json").exists()
    assert load_exported(report.path, model=tiny).labels is None


def test_onnx_has_dynamic_batch_and_metadata(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = _export(tiny, "onnx", tmp_path, tiny_input)

    proto = onnx.load(str(report.path))
    batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value, "batch dimension is fixed"
    assert min(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) >= 17
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["labels"]) == LABELS
    assert json.loads(props["preprocessing"])["mean"] == [0.5, 0.5, 0.5]


def test_torchscript_report_mentions_deprecation(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    report = _export(tiny, "torchscript", tmp_path, tiny_input)

    assert report.method == "torch.jit.script"
    assert any("deprecated" in w for w in report.warnings)


def test_existing_file_is_replaced_by_a_verified_export(
    tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    target = tmp_path / "model.pt2"
    target.write_bytes(b"old")

    report = export_model(tiny, "pt2", target, example_input=tiny_input)

    assert report.path == target
    assert target.read_bytes() != b"old"
    _assert_reloaded_matches(tiny, target, (3, 16, 16))


def test_report_serialises_to_json(tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path) -> None:
    report = _export(tiny, "pt2", tmp_path, tiny_input)

    data = json.loads(json.dumps(report.to_dict()))
    assert data["format"] == "pt2"
    assert data["max_abs_diff"] == report.max_abs_diff
    assert set(data["stage_seconds"]) == {"prepare", "export", "check", "commit"}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_mobilenet_v3_small_round_trips(fmt: Format, mobilenet: fx.GraphModule, tmp_path: Path) -> None:
    example = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    labels = [f"class {i}" for i in range(5)]

    report = export_model(
        mobilenet,
        fmt,
        tmp_path / f"mnv3{SUFFIXES[fmt]}",
        example_input=example,
        labels=labels,
    )

    assert report.max_abs_diff <= 1e-4
    _assert_reloaded_matches(mobilenet, report.path, (3, 64, 64))
    assert load_exported(report.path, model=mobilenet).labels == tuple(labels)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_lite0_after_surgery_round_trips(fmt: Format, lite0: torch.nn.Module, tmp_path: Path) -> None:
    example = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))

    report = export_model(
        lite0,
        fmt,
        tmp_path / f"lite0{SUFFIXES[fmt]}",
        example_input=example,
        labels=list("abcde"),
    )

    assert report.max_abs_diff <= 1e-4
    loaded = load_exported(report.path, model=lite0)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], lite0.eval()(x), atol=1e-4, rtol=1e-4)


class TiedHead(torch.nn.Module):
    """Two layers sharing one weight tensor: safetensors stores it once and must restore both."""

    def __init__(self) -> None:
        super().__init__()
        self.first = torch.nn.Linear(6, 6)
        self.second = torch.nn.Linear(6, 6)
        self.second.weight = self.first.weight

    def forward(self, x: Tensor) -> Tensor:
        return self.second(torch.relu(self.first(x)))


def test_safetensors_restores_tied_weights(tmp_path: Path) -> None:
    model = TiedHead()
    example = torch.randn(1, 6)

    report = export_model(model, "safetensors", tmp_path / "tied.safetensors", example_input=example)

    loaded = load_exported(report.path, model=TiedHead())  # fresh weights: only the file counts
    x = torch.randn(4, 6)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], model(x))
