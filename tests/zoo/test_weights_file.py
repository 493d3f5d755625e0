"""Importing a weights file: state_dicts load, everything else is refused with a clear reason."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save_file

from designer.zoo.errors import UnsafeWeightsError, WeightsFileError, WeightsMismatchError
from designer.zoo.registry import create_model
from designer.zoo.weights import apply_weights, load_weights_file


def _leave_marker(path: str) -> None:
    Path(path).write_text("code from a weights file ran")


class _Booby:
    """Unpickling this runs ``_leave_marker``: exactly what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _leave_marker, (str(self.marker),)


@pytest.fixture(scope="module")
def squeezenet_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    return torchvision.models.squeezenet1_1().state_dict()


def _assert_loaded(model: torch.nn.Module, expected: dict[str, torch.Tensor]) -> None:
    actual = model.state_dict()
    assert actual.keys() == expected.keys()
    assert all(torch.equal(actual[k], expected[k]) for k in expected)


def test_safetensors_round_trip(tmp_path: Path, squeezenet_state: dict[str, torch.Tensor]) -> None:
    path = tmp_path / "mine.safetensors"
    save_file({k: v.contiguous() for k, v in squeezenet_state.items()}, str(path))
    _assert_loaded(create_model("squeezenet1_1", weights=path), squeezenet_state)
    _assert_loaded(create_model("squeezenet1_1", weights=str(path)), squeezenet_state)


@pytest.mark.parametrize("wrap", ["plain", "state_dict", "model", "dataparallel"])
def test_pth_state_dict_in_common_layouts(
    wrap: str, tmp_path: Path, squeezenet_state: dict[str, torch.Tensor]
) -> None:
    payload: object = {
        "plain": squeezenet_state,
        "state_dict": {"state_dict": squeezenet_state, "epoch": 7},
        "model": {"model": squeezenet_state, "optimizer": {"lr": 0.1}},
        "dataparallel": {f"module.{k}": v for k, v in squeezenet_state.items()},
    }[wrap]
    path = tmp_path / "mine.pth"
    torch.save(payload, path)
    _assert_loaded(create_model("squeezenet1_1", weights=path), squeezenet_state)


def test_wrong_architecture_names_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "squeezenet1_0.pth"
    torch.save(torchvision.models.squeezenet1_0().state_dict(), path)
    with pytest.raises(WeightsMismatchError) as caught:
        create_model("squeezenet1_1", weights=path)
    error = caught.value
    assert ("features.0.weight", (96, 3, 7, 7), (64, 3, 3, 3)) in error.mismatched
    message = str(error)
    assert "features.0.weight (file [96, 3, 7, 7] vs model [64, 3, 3, 3])" in message
    assert f"{len(error.mismatched)} with another shape" in message


def test_mismatch_lists_missing_and_unexpected_with_counts() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    incoming = {"0.weight": torch.zeros(2, 2), "0.bias": torch.zeros(2)}
    incoming |= {f"extra.{i}": torch.zeros(1) for i in range(12)}
    with pytest.raises(WeightsMismatchError) as caught:
        apply_weights(model, incoming)
    message = str(caught.value)
    assert "2 missing from the file: 1.weight, 1.bias" in message
    assert "12 in the file but not the model" in message and "… and 2 more" in message
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())  # nothing half-loaded


@pytest.mark.parametrize(
    ("content", "what"),
    # seeded garbage; a first byte of 0x80 would rightly read as a (damaged) pickle instead
    [(b"\x13" + random.Random(7).randbytes(4095), "not a weights file"),
     (b"", "not a weights file"),
     (b"hello, I am a text file\n" * 20, "not a weights file")],
    ids=["random-bytes", "empty", "text"],
)
def test_garbage_is_not_a_weights_file(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "weights.pth"
    path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=what):
        load_weights_file(path)


def test_truncated_checkpoint_is_reported_as_damaged(
    tmp_path: Path, squeezenet_state: dict[str, torch.Tensor]
) -> None:
    full = tmp_path / "full.pth"
    torch.save(squeezenet_state, full)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(WeightsFileError, match="damaged"):
        load_weights_file(cut)
    cut_st = tmp_path / "cut.safetensors"
    save_file({k: v.contiguous() for k, v in squeezenet_state.items()}, str(tmp_path / "ok.st"))
    cut_st.write_bytes((tmp_path / "ok.st").read_bytes()[:5000])
    with pytest.raises(WeightsFileError, match="damaged"):
        load_weights_file(cut_st)


def test_missing_file_and_non_state_dict(tmp_path: Path) -> None:
    with pytest.raises(WeightsFileError, match="does not exist"):
        load_weights_file(tmp_path / "nope.pth")
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(WeightsFileError, match="holds a list rather than a state_dict"):
        load_weights_file(path)


def test_pickled_model_is_refused_unless_unsafe_is_allowed(tmp_path: Path) -> None:
    module = torch.nn.Linear(3, 2)
    path = tmp_path / "whole_model.pth"
    torch.save(module, path)
    with pytest.raises(UnsafeWeightsError, match=r"torch\.nn\.modules\.linear\.Linear") as caught:
        load_weights_file(path)
    assert "only if you trust" in str(caught.value)
    loaded = load_weights_file(path, allow_unsafe=True)
    assert loaded.keys() == module.state_dict().keys()
    assert all(torch.equal(loaded[k], v) for k, v in module.state_dict().items())


def test_refusing_a_pickle_runs_none_of_its_code(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    path = tmp_path / "booby.pth"
    torch.save({"weight": torch.zeros(1), "payload": _Booby(marker)}, path)
    with pytest.raises(UnsafeWeightsError):
        load_weights_file(path)
    assert not marker.exists()
