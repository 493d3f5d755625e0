"""Odd folders never stop an import and never vanish: each is a line in the health report."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from designer.data import DataSourceError, health_report, load_rgb_tensor, scan, split_scan
from designer.data.scan import DataScan

MakeImage = Callable[..., Path]


def kinds(data: DataScan, root: Path) -> dict[str, str]:
    return {b.path.relative_to(root).as_posix(): b.kind for b in data.bad_files}


@pytest.fixture
def two_classes(tmp_path: Path, make_image: MakeImage) -> Path:
    root = tmp_path / "data"
    for i in range(3):
        make_image(root / "cat" / f"cat{i}.png", seed=i)
        make_image(root / "dog" / f"dog{i}.jpg", seed=10 + i)
    return root


def test_looping_links_are_reported_and_the_scan_finishes(two_classes: Path) -> None:
    (two_classes / "cat" / "self").symlink_to("self")  # ELOOP on every stat
    (two_classes / "cat" / "up").symlink_to("..")  # back to the data folder: already scanned
    (two_classes / "owl").symlink_to("owl")  # a "class folder" that is a loop

    data = scan(two_classes)

    assert data.classes == ["cat", "dog"]
    assert data.counts() == {"cat": 3, "dog": 3}  # nothing counted twice through "up"
    found = kinds(data, two_classes)
    assert found == {"cat/self": "link_loop", "cat/up": "link_loop", "owl": "link_loop"}
    lines = "\n".join(health_report(data).summary_lines())
    assert "cat/self: symbolic link loop" in lines and "owl: symbolic link loop" in lines


def test_folder_without_images_is_no_phantom_class(two_classes: Path, make_image: MakeImage) -> None:
    (two_classes / "notes").mkdir()
    (two_classes / "notes" / "todo.txt").write_text("label the owls\n")
    (two_classes / "notes" / "fake.jpg").write_text("not a photo")
    (two_classes / "empty").mkdir()

    data = scan(two_classes)
    report = health_report(split_scan(data, (0.6, 0.2, 0.2)))

    assert data.classes == ["cat", "dog"]
    assert kinds(data, two_classes) == {
        "notes": "no_images", "notes/todo.txt": "not_image", "notes/fake.jpg": "not_image",
        "empty": "empty_folder",
    }
    assert "not used as a class" in next(b.reason for b in data.bad_files if b.path.name == "empty")
    assert any(w.startswith("left out notes: no images in this folder (2 other files)")
               for w in report.warnings)
    assert any("left out empty: empty folder" in w for w in report.warnings)
    assert "2 files were skipped" in " ".join(report.warnings)


def test_unreadable_class_folder_is_reported(two_classes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, for whom chmod 000 changes nothing: deny the listing instead.
    real_scandir = os.scandir
    locked = two_classes / "dog"

    def scandir(path: os.PathLike[str] | str = ".") -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    data = scan(two_classes)

    assert data.classes == ["cat"]
    bad = {b.path: b for b in data.bad_files}
    assert bad[locked].kind == "unreadable_folder"
    assert "Permission denied" in bad[locked].reason


def test_unreadable_file_is_reported(two_classes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import designer.data.skipped as skipped

    victim = two_classes / "cat" / "cat1.png"

    def denied(path: Path, mode: str = "r") -> object:
        if Path(path) == victim:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, mode)

    monkeypatch.setattr(skipped, "open", denied, raising=False)
    data = scan(two_classes)

    assert data.counts() == {"cat": 2, "dog": 3}
    assert kinds(data, two_classes) == {"cat/cat1.png": "unreadable"}


def test_links_stay_inside_the_data_folder(tmp_path: Path, two_classes: Path,
                                           make_image: MakeImage) -> None:
    outside = tmp_path / "private"
    make_image(outside / "secret.png", seed=99)
    (two_classes / "cat" / "secret.png").symlink_to(outside / "secret.png")
    (two_classes / "cat" / "album").symlink_to(outside)
    (two_classes / "dog" / "cat_too.png").symlink_to(two_classes / "cat" / "cat0.png")  # inside
    (two_classes / "dog" / "gone.png").symlink_to(two_classes / "nowhere.png")

    data = scan(two_classes)

    paths = {s.path for s in data.samples}
    assert not any("private" in str(os.path.realpath(p)) for p in paths)
    assert two_classes / "dog" / "cat_too.png" in paths
    assert kinds(data, two_classes) == {
        "cat/secret.png": "outside_link", "cat/album": "outside_link", "dog/gone.png": "broken_link",
    }
    reason = next(b.reason for b in data.bad_files if b.path.name == "album")
    assert str(outside) in reason and "outside the data folder" in reason


def test_named_pipe_does_not_block_the_scan(two_classes: Path) -> None:
    os.mkfifo(two_classes / "cat" / "pipe.jpg")
    data = scan(two_classes)
    assert kinds(data, two_classes) == {"cat/pipe.jpg": "not_image"}


def test_split_layout_reports_unused_and_empty_folders(tmp_path: Path, make_image: MakeImage) -> None:
    root = tmp_path / "data"
    for split in ("train", "val"):
        for cls in ("cat", "dog"):
            make_image(root / split / cls / f"{cls}.png", seed=len(split) + len(cls))
    (root / "test" / "cat").mkdir(parents=True)
    make_image(root / "test" / "dog" / "dog.png", seed=50)
    make_image(root / "extras" / "cat" / "bonus.png", seed=51)
    make_image(root / "stray.png", seed=52)

    data = scan(root)

    assert data.classes == ["cat", "dog"] and data.has_splits
    found = kinds(data, root)
    assert found == {"test/cat": "empty_folder", "extras": "ignored_folder", "stray.png": "no_class"}
    reason = next(b.reason for b in data.bad_files if b.path.name == "cat")
    assert "adds no test images to class 'cat'" in reason


def test_nothing_usable_names_what_was_found(tmp_path: Path) -> None:
    (tmp_path / "empty_class").mkdir()
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(DataSourceError, match=r"sub-folder.*empty_class: empty folder.*loop: "
                                               r"symbolic link loop"):
        scan(tmp_path)


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG header claiming a huge 1-bit image, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_bad_and_odd_files_are_per_file_reports(two_classes: Path, make_image: MakeImage) -> None:
    from PIL import Image

    cat = two_classes / "cat"
    (cat / "bomb.png").write_bytes(_bomb_png(40_000, 40_000))
    (cat / "zero.png").write_bytes(b"")
    (cat / "words.jpg").write_text("a text file with a photo's name")
    make_image(cat / "cmyk.jpg", mode="CMYK", seed=70)
    make_image(cat / "deep.png", mode="I;16", seed=71)
    make_image(cat / "palette.png", mode="P", seed=72)
    frames = [Image.new("RGB", (24, 20), (40 * i, 80, 200)) for i in range(3)]
    frames[0].save(cat / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)

    data = scan(two_classes)
    report = health_report(data)

    found = {b.path.name: b for b in report.bad_files}
    assert {n: b.kind for n, b in found.items()} == {
        "bomb.png": "too_large", "zero.png": "empty", "words.jpg": "not_image"}
    assert "too large to decode safely" in found["bomb.png"].reason
    assert report.totals == {"cat": 3 + 4, "dog": 3}  # CMYK, 16-bit, palette, animated all usable
    assert {"cmyk", "16-bit", "palette"} <= set(report.conversions)
    for name in ("cmyk.jpg", "deep.png", "palette.png", "anim.gif"):
        tensor = load_rgb_tensor(cat / name)
        assert tensor.shape[0] == 3 and tensor.dtype.is_floating_point is False
