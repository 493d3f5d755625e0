"""Which models the finder tries: a shortlist (by hand, fastest under X ms, one per family,
everything available offline) and what each candidate would cost before anything runs.

A candidate is a zoo model plus a weights choice; "none" (random weights) is the control twin
that shows what pretraining buys. Planning reads metadata only: nothing is built or downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from designer.core.errors import UserError
from designer.zoo.entry import ZooEntry
from designer.zoo.registry import get_entry, list_entries, weights_status

Weights = Literal["pretrained", "none"]
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
#: "fastest under X ms" stops looking after this many models in a row over the limit
_OVER_LIMIT_IN_A_ROW = 4


class ShortlistError(UserError, ValueError):
    """A shortlist that cannot be made, with what to do."""


@dataclass(frozen=True)
class Candidate:
    """One model to probe: its zoo name and whether it starts from pretrained weights."""

    model: str
    weights: Weights = "pretrained"

    def __post_init__(self) -> None:
        if self.weights not in ("pretrained", "none"):
            raise ShortlistError(f"weights must be 'pretrained' or 'none', not {self.weights!r}")

    @property
    def label(self) -> str:
        """How tables name it: the model, marked when it is the random-weights control."""
        return self.model if self.weights == "pretrained" else f"{self.model} (random weights)"

    def random_twin(self) -> Candidate:
        """The same architecture from random weights (the control)."""
        return Candidate(self.model, "none")


@dataclass(frozen=True)
class Plan:
    """What a shortlist costs before it runs: ready candidates, downloads, and skips (why)."""

    ready: tuple[Candidate, ...]
    downloads: tuple[tuple[Candidate, float], ...]  # (candidate, MB)
    skipped: tuple[tuple[Candidate, str], ...]

    @property
    def download_mb(self) -> float:
        return sum(mb for _, mb in self.downloads)

    def summary(self) -> str:
        """One paragraph for the user: what runs, what needs downloading, what is skipped."""
        parts = [f"{len(self.ready)} model(s) ready on this machine"]
        if self.downloads:
            parts.append(f"{len(self.downloads)} need a download of {self.download_mb:.0f} MB in "
                         f"total ({', '.join(c.model for c, _ in self.downloads)})")
        if self.skipped:
            parts.append("skipped: " + "; ".join(f"{c.label} ({why})" for c, why in self.skipped))
        return ". ".join(parts) + "."


def by_hand(names: Iterable[str], *, controls: bool = False) -> list[Candidate]:
    """The named models (unknown names fail with suggestions); ``controls`` adds each one's
    random-weights twin right after it."""
    chosen: list[Candidate] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ShortlistError(f"model names must be non-empty text, got {name!r}")
        candidate = Candidate(get_entry(name.strip()).name)
        chosen += [candidate, candidate.random_twin()] if controls else [candidate]
    if not chosen:
        raise ShortlistError("the shortlist is empty: name at least one model")
    return list(dict.fromkeys(chosen))


def available_offline() -> list[Candidate]:
    """Every model whose pretrained weights are on this machine (bundled or downloaded)."""
    return [Candidate(e.name) for e in list_entries() if weights_status(e) in ("bundled", "cached")]


def one_per_family(entries: Sequence[ZooEntry] | None = None) -> list[Candidate]:
    """The cheapest model (fewest GFLOPs) of each family, preferring ones available offline."""
    best: dict[str, tuple[tuple[bool, float], ZooEntry]] = {}
    for entry in entries if entries is not None else list_entries():
        if weights_status(entry) == "missing":
            continue
        key = (weights_status(entry) not in ("bundled", "cached"), entry.gflops or 1e9)
        if entry.family not in best or key < best[entry.family][0]:
            best[entry.family] = (key, entry)
    return [Candidate(entry.name) for _, entry in best.values()]


def fastest_under(max_ms: float, count: int, *, image_size: int | None = None,
                  progress: Progress | None = None, cancel: Cancel | None = None) -> list[Candidate]:
    """The ``count`` fastest models whose latency on this machine is under ``max_ms``.

    Models are timed cheapest-GFLOPs first (timings are cached per machine, so a second call is
    instant); the search stops after a few models in a row are over the limit.
    """
    from designer.zoo.speed import measure_latency

    if not max_ms > 0 or not isinstance(count, int) or count < 1:
        raise ShortlistError(f"need a positive latency limit and count, got {max_ms!r}, {count!r}")
    entries = sorted((e for e in list_entries() if weights_status(e) != "missing"),
                     key=lambda e: e.gflops or 1e9)
    timed: list[tuple[float, ZooEntry]] = []
    over = 0
    for index, entry in enumerate(entries):
        if cancel is not None and cancel():
            break
        if progress is not None:
            progress(index / len(entries), f"Timing {entry.display_name}")
        ms = measure_latency(entry.name, image_size=image_size, cancel=cancel)
        if ms < max_ms:
            timed.append((ms, entry))
            over = 0
        else:
            over += 1
        if over >= _OVER_LIMIT_IN_A_ROW and len(timed) >= count:
            break
    if not timed:
        raise ShortlistError(f"no model runs under {max_ms:g} ms per image on this machine; "
                             "raise the limit")
    return [Candidate(entry.name) for _, entry in sorted(timed, key=lambda t: t[0])[:count]]


def by_family(family: str) -> list[Candidate]:
    """Every model of one family (case-insensitive), e.g. "ResNet"."""
    folded = family.strip().casefold()
    chosen = [Candidate(e.name) for e in list_entries()
              if e.family.casefold() == folded and weights_status(e) != "missing"]
    if not chosen:
        families = sorted({e.family for e in list_entries()})
        raise ShortlistError(f"no model of family {family!r}; families: {', '.join(families)}")
    return chosen


def plan(candidates: Sequence[Candidate], *, download: bool = False) -> Plan:
    """Sort candidates into ready / needs a download / skipped, reading metadata only.

    Random-weights twins are always ready (nothing to fetch). Without ``download`` the ones that
    need a download are skipped with that reason (and still listed with their size).
    """
    ready: list[Candidate] = []
    downloads: list[tuple[Candidate, float]] = []
    skipped: list[tuple[Candidate, str]] = []
    for candidate in dict.fromkeys(candidates):
        entry = get_entry(candidate.model)
        status = weights_status(entry)
        if candidate.weights == "none" or status in ("bundled", "cached"):
            ready.append(candidate)
        elif status == "missing":
            skipped.append((candidate, "its weights package is not installed"))
        else:
            size = entry.file_size_mb or 0.0
            downloads.append((candidate, size))
            if download:
                ready.append(candidate)
            else:
                skipped.append((candidate, f"needs a {size:.0f} MB download (allow downloads to "
                                           "include it)"))
    return Plan(tuple(ready), tuple(downloads), tuple(skipped))
