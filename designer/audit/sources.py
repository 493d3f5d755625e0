"""What to audit with: a zoo model's pretrained backbone, or a finished run's trained model.

`audit_data` is the whole audit from a data source string (a folder, "sample:tuxpaint"), used
by `netdesigner audit` and the Audit page alike, so both list the same suspects.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from designer.audit.audit import audit_features
from designer.audit.features import AuditError, AuditFeatures, extract_features, feature_model
from designer.audit.report import AuditReport
from designer.data import SplitManifest, scan, split_scan
from designer.project.data_config import DataConfig, resolve_source
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.zoo.bundled import LITE0
from designer.zoo.registry import get_entry

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
DEFAULT_MODEL = LITE0


def pretrained_design(name: str = DEFAULT_MODEL) -> tuple[Design, str]:
    """The zoo model with its pretrained (or bundled) weights, backbone frozen, and a label."""
    entry = get_entry(name)
    weights = "bundled" if entry.source == "bundled" else "pretrained"
    return feature_model(open_model(entry.name, weights)), f"{entry.name} (pretrained)"


def trained_design(run_dir: Path) -> tuple[Design, str, RunRecord]:
    """A finished run's trained model (best weights), backbone frozen, a label, the run."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise AuditError(f"{run_dir} is not a run folder; pass a folder under a project's runs/.")
    run = RunRecord.load(run_dir)
    return feature_model(run_design(run_dir, "best")), f"run {run.name} (trained)", run


def data_manifest(source: str, config: DataConfig | None = None) -> SplitManifest:
    """The images of ``source`` split as a project with ``config`` would split them."""
    config = config or DataConfig(source=source)
    scanned = scan(resolve_source(source))
    if len(scanned.classes) < 2:
        raise AuditError(f"{scanned.root} has {len(scanned.classes)} class folder(s); the audit "
                         "needs at least two classes, one sub-folder each.")
    return split_scan(scanned, config.fractions, seed=config.seed, cap=config.cap)


def features_for(
    source: str, *, model: str | None = None, run: Path | None = None,
    manifest: SplitManifest | None = None, progress: Progress | None = None,
    cancel: Cancel | None = None, store: Path | None = None,
) -> AuditFeatures:
    """Features of every image of ``source`` from ``model`` or ``run`` (default: bundled Lite0)."""
    if model is not None and run is not None:
        raise AuditError("choose either a model or a run to audit with, not both.")
    if run is not None:
        design, label, record = trained_design(run)
        config = DataConfig.from_dict({**record.data, "source": source})
        image_size = record.image_size
    else:
        design, label = pretrained_design(model or DEFAULT_MODEL)
        config, image_size = DataConfig(source=source), None
    manifest = manifest or data_manifest(source, config)
    return extract_features(manifest, design, label, image_size=image_size, progress=progress,
                            cancel=cancel, store=store)


def audit_data(
    source: str, *, model: str | None = None, run: Path | None = None,
    progress: Progress | None = None, cancel: Cancel | None = None, store: Path | None = None,
) -> tuple[AuditFeatures, AuditReport]:
    """Features (for the map) and the audit report of every image of ``source`` (features kept
    in ``store`` for the next audit, see `extract_features`)."""
    report = progress or (lambda _f, _m: None)
    features = features_for(source, model=model, run=run, cancel=cancel, store=store,
                            progress=lambda f, m: report(0.8 * f, m))
    return features, audit_features(features, cancel=cancel,
                                    progress=lambda f, m: report(0.8 + 0.2 * f, m))
