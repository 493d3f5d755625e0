"""The timm source: one zoo entry per pretrained tag, with published figures only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import timm
from timm.models import get_pretrained_cfg

from designer.cli import main
from designer.zoo import timm_tables, timm_zoo
from designer.zoo.registry import get_entry, list_entries


def _table_rows(name: str, tag: str) -> list[dict[str, str]]:
    with (timm_tables.tables_dir() / name).open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["model"] == tag]


def test_every_pretrained_tag_is_listed_once() -> None:
    names = [e.name for e in timm_zoo.timm_entries()]
    assert sorted(names) == sorted(timm.list_pretrained())
    assert len(names) == len(set(names)) >= 1800
    registry = {e.name for e in list_entries()}
    assert set(names) <= registry and "resnet18" in registry  # beside torchvision's


def test_published_tag_carries_its_table_row_and_config() -> None:
    entry = get_entry("convnext_atto.d2_in1k")
    cfg = get_pretrained_cfg(entry.name)
    assert cfg is not None
    rows = {int(r["img_size"]): r for r in _table_rows(timm_tables.RESULTS_FILE, entry.name)}
    assert set(rows) == {224, 288}  # published at its train size and at its test size
    row = rows[cfg.input_size[-1]]  # the row at the size timm builds and preprocesses for
    assert (entry.acc1, entry.acc5) == (float(row["top1"]), float(row["top5"]))
    assert entry.num_params == round(float(row["param_count"]) * 1e6)
    assert entry.preprocessing.crop_size == int(row["img_size"])
    assert entry.crop_pct == float(row["crop_pct"])
    assert entry.preprocessing.interpolation == row["interpolation"]
    assert (entry.family, entry.architecture, entry.source) == ("ConvNeXt", "convnext_atto", "timm")
    assert (entry.hf_repo, entry.license) == (cfg.hf_hub_id, cfg.license)
    assert entry.pretraining == "in1k"
    assert entry.metrics_source.startswith("timm results tables")
    assert len(entry.categories) == 1000 and entry.has_pretrained_head
    assert f"top-1 {float(rows[288]['top1']):.1f} % / top-5 {float(rows[288]['top5']):.1f} % at 288 px" \
        in entry.notes


def test_tag_without_a_row_says_not_published() -> None:
    missing = [e for e in timm_zoo.timm_entries()
               if not _table_rows(timm_tables.RESULTS_FILE, e.name)]
    assert missing, "timm lists tags that its result table does not cover"
    for entry in missing[:50]:
        assert entry.acc1 is None and entry.acc5 is None
        assert entry.metrics_source == timm_zoo.NOT_PUBLISHED
    shown = {r["name"]: r for r in (e.to_dict() for e in missing[:5])}
    assert all(r["acc1"] is None and r["metrics_source"] == "not published" for r in shown.values())


def test_gmacs_only_where_published_at_the_tags_size() -> None:
    for entry in timm_zoo.timm_entries():
        bench = timm_tables.gmacs().get(entry.architecture)
        if entry.gflops is not None:
            assert bench is not None and bench.gmacs == entry.gflops
            assert bench.img_size == entry.preprocessing.crop_size
        elif bench is not None and bench.img_size == entry.preprocessing.crop_size:
            default = get_pretrained_cfg(entry.architecture)
            assert default is not None and default.num_classes != entry.num_classes


def test_backbone_only_weights_have_no_head() -> None:
    entry = next(e for e in timm_zoo.timm_entries() if e.num_classes == 0)
    assert not entry.has_pretrained_head and entry.categories == ()
    assert "Backbone only" in entry.notes


@pytest.mark.parametrize(("tag", "expected"), [
    ("augreg_in21k_ft_in1k", "in21k → in1k"), ("d2_in1k", "in1k"),
    ("mim_m38m_ft_in22k_in1k", "m38m → in22k → in1k"), ("fcmae", ""),
    ("laion2b_ft_in12k_in1k", "laion2b → in12k → in1k"), ("openai", "openai"),
])
def test_pretraining_is_read_from_the_tag(tag: str, expected: str) -> None:
    assert timm_zoo.pretraining_of(tag) == expected


def test_listing_builds_and_downloads_nothing_and_is_cached(
        user_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("listing must not build or download")

    monkeypatch.setattr(timm, "create_model", forbidden)
    import huggingface_hub
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", forbidden)
    first = timm_zoo.cached_records()
    stored = json.loads((user_cache / timm_zoo.CACHE_FILE).read_text())
    assert stored["records"] == first
    monkeypatch.setattr(timm_zoo, "build_records", forbidden)  # the cache answers now
    assert timm_zoo.cached_records() == first


def test_cache_is_rebuilt_for_another_timm(user_cache: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (user_cache).mkdir(parents=True)
    (user_cache / timm_zoo.CACHE_FILE).write_text(json.dumps(
        {"key": "1|timm=0.0.1|tables=x", "records": [{"tag": "stale"}]}))
    records = timm_zoo.cached_records()
    assert len(records) == len(timm.list_pretrained())
    assert records[0]["tag"] != "stale"


def test_cli_family_filter_spans_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json", "--family", "convnext"]) == 0
    records = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in records}
    assert {"convnext_tiny", "convnext_atto.d2_in1k"} <= names
    assert {r["family"] for r in records} == {"ConvNeXt"}
    timm_record = next(r for r in records if r["name"] == "convnext_atto.d2_in1k")
    for key in ("num_params", "gflops", "acc1", "acc5", "preprocessing", "crop_pct", "license",
                "hf_repo", "pretraining", "architecture", "metrics_source", "weights"):
        assert key in timm_record
    assert timm_record["weights"] in ("download", "cached")


def test_cli_unknown_family_lists_the_families(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--family", "nosuchnet"]) == 1
    out = capsys.readouterr().out
    assert "No family called 'nosuchnet'" in out and "ConvNeXt" in out and "ViT" in out
