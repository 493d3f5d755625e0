"""Labels and preprocessing travel inside every artefact, so a file alone is enough to deploy.

Where each format keeps them: safetensors header ``__metadata__`` and side files ``labels.json`` /
``preprocessing.json``; TorchScript and .pt2 archive ``extra/labels.json`` and
``extra/preprocessing.json``; ONNX ``metadata_props`` keys ``labels`` and ``preprocessing``.
Values are JSON text (a list of class names; a dict as written by ``Preprocessing.to_dict``).
A calibrated run adds ``calibration`` / ``calibration.json``: ``{"temperature": T,
"in_outputs": bool}``: true when the model's outputs are already divided by T (every format
with a graph), false for weights-only safetensors (divide the scores by T before the softmax).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torch import Tensor, nn

from designer.export.errors import ExportError
from designer.zoo.preprocessing import Preprocessing

LABELS_KEY = "labels"
PREPROCESSING_KEY = "preprocessing"
LABELS_FILE = "labels.json"
PREPROCESSING_FILE = "preprocessing.json"
CALIBRATION_KEY = "calibration"
CALIBRATION_FILE = "calibration.json"
#: the keys a reader of string metadata looks for, and the archive/side file names
META_KEYS = (LABELS_KEY, PREPROCESSING_KEY, CALIBRATION_KEY)
META_FILES = (LABELS_FILE, PREPROCESSING_FILE, CALIBRATION_FILE)
_FILES = {LABELS_KEY: LABELS_FILE, PREPROCESSING_KEY: PREPROCESSING_FILE,
          CALIBRATION_KEY: CALIBRATION_FILE}


@dataclass(frozen=True)
class ExportMeta:
    """Validated labels and preprocessing, ready to embed."""

    labels: tuple[str, ...] | None = None
    preprocessing: dict[str, object] | None = None
    calibration: dict[str, object] | None = None

    @classmethod
    def build(
        cls, labels: Sequence[str] | None, preprocessing: Mapping[str, object] | Preprocessing | None,
        calibration: Mapping[str, object] | None = None,
    ) -> ExportMeta:
        """Check the caller's values are JSON-storable; raise ExportError if not."""
        if isinstance(labels, str):
            raise ExportError("labels must be a list of class names, not one string")
        label_tuple = None if labels is None else tuple(str(name) for name in labels)
        pre: dict[str, object] | None
        if isinstance(preprocessing, Preprocessing):
            pre = preprocessing.to_dict()
        else:
            pre = None if preprocessing is None else dict(preprocessing)
        try:
            pre = json.loads(json.dumps(pre))  # what a reader gets back (tuples become lists)
        except (TypeError, ValueError) as exc:
            raise ExportError(f"preprocessing must be JSON data (numbers, strings, lists): {exc}") from exc
        return cls(label_tuple, pre, None if calibration is None else dict(calibration))

    def as_strings(self) -> dict[str, str]:
        """Key → JSON text for the formats that store string metadata (ONNX, safetensors)."""
        out: dict[str, str] = {}
        if self.labels is not None:
            out[LABELS_KEY] = json.dumps(list(self.labels), ensure_ascii=False)
        if self.preprocessing is not None:
            out[PREPROCESSING_KEY] = json.dumps(self.preprocessing, ensure_ascii=False)
        if self.calibration is not None:
            out[CALIBRATION_KEY] = json.dumps(self.calibration)
        return out

    def as_files(self) -> dict[str, str]:
        """File name → JSON text (archive extra files and safetensors side files)."""
        return {_FILES[key]: text for key, text in self.as_strings().items()}

    @classmethod
    def from_strings(cls, values: Mapping[str, str | bytes]) -> ExportMeta:
        """Inverse of :meth:`as_strings` / :meth:`as_files`; missing keys stay None."""

        def get(key: str, file: str) -> object:
            raw = values.get(key) or values.get(file)
            return json.loads(raw) if raw else None

        labels = get(LABELS_KEY, LABELS_FILE)
        pre = get(PREPROCESSING_KEY, PREPROCESSING_FILE)
        calibration = get(CALIBRATION_KEY, CALIBRATION_FILE)
        return cls(
            None if labels is None else tuple(str(v) for v in labels),  # type: ignore[attr-defined]
            pre if isinstance(pre, dict) else None,
            calibration if isinstance(calibration, dict) else None,
        )


@dataclass
class WriteJob:
    """What one format writer gets: a frozen CPU eval copy, a staged path, and a place for notes."""

    model: nn.Module
    path: Path
    example: Tensor
    meta: ExportMeta
    output_names: list[str]
    notes: list[str] = field(default_factory=list)
    #: the caller's cancel check, for writers with more than one long step
    cancelled: Callable[[], bool] = field(default=lambda: False)
