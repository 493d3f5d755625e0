"""CPU latency is measured once per model and machine, then read back from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from designer.zoo import speed
from designer.zoo.errors import CancelledError
from designer.zoo.speed import cached_latency, measure_latency, measure_many, timing_key

TINY = {"image_size": 32, "repeats": 2}


def test_latency_is_measured_then_cached_for_this_machine(
    user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports: list[float] = []
    threads = torch.get_num_threads()
    assert cached_latency("squeezenet1_1", image_size=32) is None
    ms = measure_latency("squeezenet1_1", progress=lambda f, m: reports.append(f), **TINY)
    assert ms > 0
    assert torch.get_num_threads() == threads, "timed on one thread, the setting given back"
    assert reports[-1] == 1.0 and reports == sorted(reports)

    stored = json.loads((user_cache / "latency.json").read_text())
    (key, record), = stored.items()
    assert timing_key() in key and "squeezenet1_1" in key and record["image_size"] == 32
    assert (record["statistic"], record["threads"]) == ("min", 1)  # the fastest pass: not load
    assert cached_latency("squeezenet1_1", image_size=32) == ms

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached latency must not rebuild the model")

    monkeypatch.setattr(speed, "create_model", no_build)
    assert measure_latency("squeezenet1_1", **TINY) == ms


def test_cancel_stops_timing_and_caches_nothing(user_cache: Path) -> None:
    with pytest.raises(CancelledError):
        measure_latency("squeezenet1_1", cancel=lambda: True, **TINY)
    assert cached_latency("squeezenet1_1", image_size=32) is None


def test_measure_many_reports_one_overall_progress(user_cache: Path) -> None:
    reports: list[float] = []
    results = measure_many(["squeezenet1_1", "mobilenet_v3_small"],
                           progress=lambda f, m: reports.append(f), **TINY)
    assert set(results) == {"squeezenet1_1", "mobilenet_v3_small"}
    assert all(v > 0 for v in results.values())
    assert reports == sorted(reports) and reports[-1] == 1.0
    assert any(0.4 < f < 0.6 for f in reports)  # halfway after the first model
