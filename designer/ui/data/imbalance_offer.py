"""Offers a remedy when the health report sees imbalanced classes: "Use class weights".

The condition is the health report's own (designer.data.health_text: the largest class has at
least IMBALANCE_WARN times the images of the smallest). The button sets the training option in
the workspace, so the Train page's form shows it and the next run records it; the strip then
says so and offers to turn it off again.

A balanced sampler (drawing every class equally often) is the other remedy: `SAMPLER_OPTION`
names its training option, and the strip offers it only when TrainingOptions has that field
(`sampler_available`), so a build without the sampler shows no button that cannot work.
"""

from __future__ import annotations

import dataclasses
import math

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from designer.data import HealthReport
from designer.data.health_text import IMBALANCE_WARN
from designer.training.options import TrainingOptions
from designer.ui.workspace import Workspace

#: (TrainingOptions field, value that balances, value that does not) of the balanced sampler
#: (None: never offered)
SAMPLER_OPTION: tuple[str, str, str] | None = ("sampler", "balanced", "shuffle")


def imbalance_of(report: HealthReport | None) -> tuple[str, int, str, int] | None:
    """(smallest class, its images, largest class, its images) when the report sees imbalance
    that weighting can help (every class has images); None otherwise."""
    if report is None:
        return None
    totals = report.totals
    ratio = report.imbalance_ratio
    if len(totals) < 2 or not math.isfinite(ratio) or ratio < IMBALANCE_WARN:
        return None
    small = min(totals, key=lambda c: totals[c])
    big = max(totals, key=lambda c: totals[c])
    return small, totals[small], big, totals[big]


def sampler_available() -> bool:
    """Whether the engine has the balanced-sampler option `SAMPLER_OPTION` names."""
    return SAMPLER_OPTION is not None and SAMPLER_OPTION[0] in {
        f.name for f in dataclasses.fields(TrainingOptions)}


class ImbalanceOffer(QFrame):
    """A strip: what is imbalanced, and buttons that set the training options against it."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setObjectName("ImbalanceOffer")
        self.setStyleSheet("#ImbalanceOffer { background: #fff4d6; border: 1px solid #e0c070; "
                           "border-radius: 3px; } QLabel { color: #6a4b00; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.weights_button = QPushButton()
        self.weights_button.setToolTip(
            "Weigh each training image's loss by 1 / its class's count, so every class counts "
            "as much (Train page → Run → Class weights). Recorded in the run's options.")
        self.sampler_button: QPushButton | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.weights_button)
        if sampler_available():
            self.sampler_button = QPushButton()
            self.sampler_button.setToolTip("Draw training batches so that every class is seen "
                                           "equally often (Train page). Recorded in the run.")
            self.sampler_button.clicked.connect(self._toggle_sampler)
            layout.addWidget(self.sampler_button)
        self.weights_button.clicked.connect(self._toggle_weights)
        self._found: tuple[str, int, str, int] | None = None
        workspace.options_changed.connect(lambda _options: self._refresh())
        self.hide()

    @property
    def offered(self) -> bool:
        """Whether the last report showed imbalance (the strip is up)."""
        return self._found is not None

    def show_report(self, report: HealthReport | None) -> None:
        """Show the offer when `report` sees imbalance, hide it otherwise."""
        self._found = imbalance_of(report)
        self._refresh()

    def _refresh(self) -> None:
        found = self._found
        self.setVisible(found is not None)
        if found is None:
            return
        small, n_small, big, n_big = found
        options = self.workspace.options
        weighted = options.class_weights == "balanced"
        sampled = self._sampler_on(options)
        head = (f"⚖ Imbalanced classes: {small!r} has {n_small} images, {big!r} has {n_big} "
                f"({n_big / n_small:.1f}×).")
        if weighted or sampled:
            what = " and ".join(w for w, on in (("class weights", weighted),
                                                 ("a balanced sampler", sampled)) if on)
            self.label.setText(f"{head} ✓ Training uses {what}: rare classes count as much as "
                               "common ones (set on the Train page, recorded in each run).")
        else:
            self.label.setText(f"{head} The model may learn to ignore the small classes and "
                               "accuracy can look better than it is: add images to them if you "
                               "can, or weigh the loss so that every class counts as much.")
        self.weights_button.setText("Turn off class weights" if weighted else "Use class weights")
        if self.sampler_button is not None:
            self.sampler_button.setText("Turn off balanced sampler" if sampled
                                        else "Use balanced sampler")

    def _toggle_weights(self) -> None:
        options = self.workspace.options
        on = options.class_weights != "balanced"
        self.workspace.set_options(options.replace(class_weights="balanced" if on else "off"))

    def _sampler_on(self, options: TrainingOptions) -> bool:
        if not sampler_available():
            return False
        assert SAMPLER_OPTION is not None
        return bool(getattr(options, SAMPLER_OPTION[0]) == SAMPLER_OPTION[1])

    def _toggle_sampler(self) -> None:
        assert SAMPLER_OPTION is not None
        field, on_value, off_value = SAMPLER_OPTION
        options = self.workspace.options
        value = off_value if self._sampler_on(options) else on_value
        self.workspace.set_options(options.replace(**{field: value}))
