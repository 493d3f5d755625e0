""""Apply to files": the preview is what happens, undo restores the folder byte for byte (also
after a kill -9 mid-apply), clashing names get a suffix, and a crafted journal is refused."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from designer.audit.apply_files import OURS, ApplyError, apply, finish, latest, plan_apply, undo
from designer.data import scan
from designer.project.dataset_versions import DatasetEdits


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under root -> sha256 of its bytes ("dir" for folders)."""
    out = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        out[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def folder(root: Path, files: list[str]) -> Path:
    for i, name in enumerate(files):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (30 * i, 255 - 30 * i, 7 * i)).save(path)
    return root


@pytest.fixture
def classes(tmp_path: Path) -> Path:
    return folder(tmp_path / "data", ["cat/a.png", "cat/b.png", "cat/deep/c.png", "cat/d.png",
                                       "cat/g.png", "dog/a.png", "dog/e.png", "bird/f.png"])


EDITS = DatasetEdits().relabel(["cat/a.png", "cat/deep/c.png", "dog/e.png"], "dog") \
    .relabel(["cat/b.png"], "bird").exclude(["cat/d.png", "dog/a.png"]).review(["bird/f.png"])


def test_preview_is_what_moves_and_undo_restores_every_byte(classes: Path) -> None:
    before = tree(classes)
    plan = plan_apply(classes, EDITS, version=3)
    moves = {m.source: (m.target, m.reason) for m in plan.moves}
    assert moves == {
        "cat/a.png": ("dog/a (2).png", "relabel"),  # dog/a.png exists: a suffix, no overwrite
        "cat/b.png": ("bird/b.png", "relabel"),
        "cat/deep/c.png": ("dog/c.png", "relabel"),
        "cat/d.png": (f"{OURS}/excluded/cat/d.png", "exclude"),
        "dog/a.png": (f"{OURS}/excluded/dog/a.png", "exclude"),
    }, "dog/e.png is already a dog: it stays"
    assert tree(classes) == before, "planning touches nothing"
    assert "5 file(s) move: 3 to another class folder, 2 into .netdesigner/excluded" in plan.summary()

    journal = apply(plan)
    after = tree(classes)
    for source, (target, _reason) in moves.items():
        assert source not in after and after[target] == before[source]
    untouched = {k: v for k, v in before.items() if k not in moves}
    assert {k: v for k, v in after.items() if k in untouched} == untouched
    assert set(after) - set(before) - {m.target for m in plan.moves} == {
        OURS, f"{OURS}/excluded", f"{OURS}/excluded/cat", f"{OURS}/excluded/dog",
        f"{OURS}/apply-0001.json"}, "only the moved files, our folder and the journal are new"
    assert latest(classes) == journal and journal.state == "applied"
    rescanned = scan(classes)
    assert rescanned.classes == ["bird", "cat", "dog"], "the quarantine is not taken for a class"
    names = {s.path.relative_to(classes).as_posix(): rescanned.classes[s.label]
             for s in rescanned.samples}
    assert names["dog/a (2).png"] == "dog" and names["bird/b.png"] == "bird"
    assert not any(n.startswith(OURS) for n in names)

    undone = undo(classes)
    assert undone.plan.version == 3 and undone.plan.edits == EDITS
    assert tree(classes) == before, "every file back, byte for byte; our folders are gone"


def test_split_folders_get_the_class_folder_they_lack_and_lose_it_on_undo(tmp_path: Path) -> None:
    root = folder(tmp_path / "data", ["train/cat/a.png", "train/dog/b.png", "val/cat/c.png",
                                      "val/dog/d.png", "train/bird/e.png"])
    before = tree(root)
    plan = plan_apply(root, DatasetEdits().relabel(["val/cat/c.png"], "bird"))
    assert [(m.source, m.target) for m in plan.moves] == [("val/cat/c.png", "val/bird/c.png")]
    assert plan.folders == ("val/bird",)
    apply(plan)
    assert (root / "val/bird/c.png").is_file()
    undo(root)
    assert tree(root) == before and not (root / "val/bird").exists()
    emptying = plan_apply(root, DatasetEdits().relabel(["val/cat/c.png"], "dog"))
    assert emptying.emptied == ("val/cat",) and "val/cat would be left without" in emptying.summary()


def test_a_folder_we_did_not_create_is_kept_even_when_empty_after_undo(tmp_path: Path) -> None:
    root = folder(tmp_path / "data", ["cat/a.png", "dog/b.png"])
    (root / f"{OURS}/excluded").mkdir(parents=True)
    (root / f"{OURS}/excluded/keep.txt").write_text("the user's")
    apply(plan_apply(root, DatasetEdits().exclude(["cat/a.png"])))
    undo(root)
    assert (root / f"{OURS}/excluded/keep.txt").read_text() == "the user's"
    assert (root / "cat/a.png").is_file()


@pytest.mark.parametrize("bad", ["../outside.png", "/etc/passwd", "cat/../../outside.png",
                                 "link/x.png", f"{OURS}/apply-0002.json"])
def test_a_crafted_journal_is_refused_and_nothing_moves(classes: Path, bad: str) -> None:
    outside = classes.parent / "outside.png"
    outside.write_bytes(b"not yours")
    (classes / "link").symlink_to(classes.parent, target_is_directory=True)
    journal = classes / OURS / "apply-0001.json"
    journal.parent.mkdir()
    journal.write_text(json.dumps({
        "format": "netdesigner.apply-journal", "number": 1, "state": "applied",
        "dataset_version": 1, "edits": {}, "folders": [],
        "moves": [["cat/a.png", bad, "relabel"]]}))
    before, outside_before = tree(classes), outside.read_bytes()
    with pytest.raises(ApplyError, match="refused"):
        latest(classes)
    with pytest.raises(ApplyError, match="refused"):
        undo(classes)
    assert outside.read_bytes() == outside_before
    assert tree(classes) == before


def test_apply_refuses_while_an_earlier_one_is_unfinished_and_when_nothing_moves(
        classes: Path) -> None:
    with pytest.raises(ApplyError, match="no file needs to move"):
        apply(plan_apply(classes, DatasetEdits().relabel(["dog/e.png"], "dog")))
    journal = apply(plan_apply(classes, DatasetEdits().exclude(["bird/f.png"])))
    stuck = journal.path.read_text().replace('"applied"', '"applying"')
    journal.path.write_text(stuck)
    with pytest.raises(ApplyError, match="interrupted"):
        apply(plan_apply(classes, DatasetEdits().exclude(["cat/b.png"])))


_KILLER = """
import os, signal, sys
from pathlib import Path
from designer.audit.apply_files import apply, plan_apply
from designer.project.dataset_versions import DatasetEdits

root, where = Path(sys.argv[1]), sys.argv[2]
edits = DatasetEdits.from_dict({"relabelled": {"cat/a.png": "dog", "cat/b.png": "bird",
                                               "cat/deep/c.png": "dog"},
                                "excluded": ["cat/d.png", "dog/a.png"]})
plan = plan_apply(root, edits)
if where == "between-link-and-unlink":  # the third move: linked, old name not yet removed
    calls = []
    real_unlink = os.unlink
    def unlink(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        real_unlink(path, *args, **kwargs)
    os.unlink = unlink
    apply(plan)
else:
    apply(plan, progress=lambda f, _m: f >= 0.4 and os.kill(os.getpid(), signal.SIGKILL))
"""


@pytest.mark.parametrize("where", ["after-two-moves", "between-link-and-unlink"])
def test_kill_mid_apply_then_finish_or_undo(classes: Path, where: str) -> None:
    before = tree(classes)
    expected = plan_apply(classes, DatasetEdits.from_dict({
        "relabelled": {"cat/a.png": "dog", "cat/b.png": "bird", "cat/deep/c.png": "dog"},
        "excluded": ["cat/d.png", "dog/a.png"]}))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_KILLER), str(classes), where],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr
    journal = latest(classes)
    assert journal is not None and journal.state == "applying"
    moved = [m for m in expected.moves if not (classes / m.source).exists()]
    assert 0 < len(moved) < len(expected.moves), "killed part-way"
    if where == "between-link-and-unlink":
        both = [m for m in expected.moves if (classes / m.source).exists()
                and (classes / m.target).exists()]
        assert len(both) == 1, "one file has both names"
        undo(classes)
        assert tree(classes) == before
        return
    finished = finish(journal)
    assert finished.state == "applied"
    after = tree(classes)
    for move in expected.moves:
        assert move.source not in after and after[move.target] == before[move.source]
    undo(classes)
    assert tree(classes) == before
