"""timm weights: read from the Hugging Face cache, downloaded with progress/cancel, offline path.

Nothing is downloaded: a small safetensors file is written into a fake hub cache with the
layout huggingface_hub itself uses, and the real loading code reads it from there.
"""

from __future__ import annotations

from pathlib import Path

import huggingface_hub
import pytest
import timm
import torch
from huggingface_hub import constants
from huggingface_hub.errors import LocalEntryNotFoundError
from safetensors.torch import save_file

from designer.surgery.opening import open_model
from designer.zoo import download
from designer.zoo.errors import DownloadCancelled, OfflineError
from designer.zoo.registry import create_model, get_entry, weights_status

TAG = "test_convnext.r160_in1k"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty hub cache for this test."""
    path = tmp_path / "hf-hub"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(path))
    return path


def _put_in_cache(cache: Path, repo: str, state: dict[str, torch.Tensor]) -> Path:
    """Write ``state`` where huggingface_hub keeps ``repo``'s model.safetensors."""
    folder = cache / f"models--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(COMMIT)
    snapshot = folder / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    path = snapshot / "model.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


def test_pretrained_weights_load_from_the_hub_cache(hf_cache: Path) -> None:
    entry = get_entry(TAG)
    assert entry.hf_repo == f"timm/{TAG}"
    assert weights_status(entry) == "download"
    torch.manual_seed(123)
    reference = timm.create_model(TAG, pretrained=False)
    _put_in_cache(hf_cache, entry.hf_repo, reference.state_dict())
    assert weights_status(entry) == "cached"
    model = create_model(TAG, "pretrained")  # NETDESIGNER_NO_DOWNLOAD=1: must not fetch
    got, expected = model.state_dict(), reference.state_dict()
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[k], expected[k]) for k in expected)
    design = open_model(TAG, "pretrained", input_size=64)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(design.build()(x), reference.eval()(x), atol=1e-5)
    assert len(design.info.class_names) == 1000


def test_offline_without_cache_offers_the_alternatives(hf_cache: Path) -> None:
    with pytest.raises(OfflineError) as caught:
        create_model(TAG, "pretrained")
    message = str(caught.value)
    assert message.startswith("No network") and "weights file" in message
    assert "bundled model" in message and "random weights" in message
    assert not hf_cache.exists()  # nothing half-written


def test_unreachable_hub_is_an_offline_error(hf_cache: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(download.NO_DOWNLOAD_ENV, "0")  # let the code reach the hub client

    def unreachable(*_args: object, **_kwargs: object) -> str:
        raise LocalEntryNotFoundError("cannot reach the hub")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable)
    with pytest.raises(OfflineError, match="Hugging Face hub cannot be reached"):
        download.download_hf(f"timm/{TAG}")


def test_download_reports_progress_and_cancels(hf_cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(download.NO_DOWNLOAD_ENV, "0")
    reports: list[tuple[float, str]] = []
    stop = {"now": False}

    def fake_download(repo: str, filename: str, *, revision: str | None,
                      tqdm_class: type) -> str:
        bar = tqdm_class(total=4 * 2**20, initial=2**20)  # resumed: 1 MB already there
        bar.update(2**20)
        stop["now"] = True
        bar.update(2**20)  # the user pressed Cancel in between
        raise AssertionError("cancel did not stop the download")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    with pytest.raises(DownloadCancelled, match="resumes where it stopped"):
        download.download_hf(f"timm/{TAG}", progress=lambda f, m: reports.append((f, m)),
                             cancel=lambda: stop["now"])
    assert reports[0] == (0.0, "Downloading model.safetensors")
    assert reports[1] == (0.5, "Downloading model.safetensors: 2.0 MB of 4.0 MB")


def test_hub_revision_notation_is_understood(hf_cache: Path) -> None:
    path = _put_in_cache(hf_cache, "timm/x", {"w": torch.zeros(2)})
    assert download.hf_cached_file("timm/x") == path
    assert download.hf_cached_file("timm/x@main") == path
    assert download.hf_cached_file("timm/y") is None
