"""A saved split names image files; none of them may lie outside the data folder.

Entries that climb out (``..``), are absolute, or are links leading out are refused with a
message before any dataset is built from them, wherever the manifest comes from: its own file,
a project, or `netdesigner train PROJECT`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from designer.cli import main
from designer.data import ManifestError, SplitManifest, scan, split_scan
from designer.project.data_config import DataConfig, prepare_data
from designer.project.project_file import Project, ProjectError, open_project, save_project
from designer.zoo.preprocessing import Preprocessing

ESCAPING = ["../../etc/passwd", "/etc/passwd", "a/../../secret.png", "..\\..\\secret.png",
            "C:\\Windows\\win.ini", "C:secret.png", "\\\\server\\share\\x.png", "", "."]


def _manifest(data: Path, entry: str) -> dict[str, Any]:
    good = split_scan(scan(data), seed=1).to_dict()
    entries = list(good["entries"])  # type: ignore[arg-type]
    entries[0] = [entry, 0, "train"]
    return {**good, "entries": entries}


@pytest.mark.parametrize("entry", ESCAPING)
def test_a_manifest_entry_outside_the_data_folder_is_refused(entry: str, kit: Any,
                                                             tmp_path: Path) -> None:
    data = kit.image_folder(tmp_path / "data")
    with pytest.raises(ManifestError, match=r"refused|not a file name"):
        SplitManifest.from_dict(_manifest(data, entry))
    with pytest.raises(ManifestError):
        SplitManifest.from_json(json.dumps(_manifest(data, entry)))


@pytest.mark.parametrize(("label", "split"), [(7, "train"), (-1, "train"), (0, "../train")])
def test_labels_and_splits_must_be_ours(label: int, split: str, kit: Any, tmp_path: Path) -> None:
    manifest = _manifest(kit.image_folder(tmp_path / "data"), "a/a0.png")
    manifest["entries"][0] = ["a/a0.png", label, split]
    with pytest.raises(ManifestError):
        SplitManifest.from_dict(manifest)


def test_a_project_whose_split_escapes_is_refused_and_train_says_why(
        kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = kit.image_folder(tmp_path / "data")
    project = tmp_path / "project"
    save_project(Project(project, kit.tiny_design(), DataConfig(source=str(data), image_size=16)))
    path = project / "project.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["manifest"] = _manifest(data, "../../victim/secret.png")
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ProjectError, match="split"):
        open_project(project)
    assert main(["train", str(project)]) == 1
    err = capsys.readouterr().err
    assert "../../victim/secret.png" in err and "Traceback" not in err
    assert not (project / "runs").exists()


def test_a_link_in_the_data_folder_that_leads_out_is_never_used(kit: Any,
                                                                tmp_path: Path) -> None:
    data = kit.image_folder(tmp_path / "data")
    secret = kit.image_folder(tmp_path / "outside", classes=("x",)) / "x" / "x0.png"
    (data / "a" / "zz-link.png").symlink_to(secret)
    fresh = split_scan(scan(data), seed=1)
    assert "a/zz-link.png" not in {e.path for e in fresh.entries}
    assert any(b.path.name == "zz-link.png" for b in fresh.skipped)
    saved = SplitManifest.from_dict(_manifest(data, "a/zz-link.png"))  # text is fine ...
    with pytest.raises(ManifestError, match="leads outside the data folder"):
        prepare_data(DataConfig(source=str(data)), Preprocessing(), check_health=False,
                     manifest=saved)  # ... but the file is a link out: refused before use


def test_a_saved_split_is_applied_to_the_folder_being_trained_on(kit: Any,
                                                                 tmp_path: Path) -> None:
    """The root a manifest file names is never read: entries resolve under the data folder."""
    data = kit.image_folder(tmp_path / "data")
    elsewhere = kit.image_folder(tmp_path / "elsewhere")
    saved = SplitManifest.from_dict({**_manifest(data, "a/a0.png"), "root": str(elsewhere)})
    prepared = prepare_data(DataConfig(source=str(data), image_size=16), Preprocessing(),
                            check_health=False, manifest=saved)
    paths = [s.path for split in ("train", "val", "test") for s in prepared.manifest.samples(split)]
    assert paths and all(p.is_relative_to(data) for p in paths)
