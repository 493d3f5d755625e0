"""The inspector dock: the selected layer's properties (editable with validation) or a summary.

It only reads the session and pushes edits through `session.edit`; an invalid value is shown
next to its field and never applied.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.core.catalog import catalog_kind
from designer.core.grouping import BLOCK_PREFIX
from designer.core.layers import Layer
from designer.ui.actions import design_actions, would_set_frozen
from designer.ui.formatting import bytes_text, count_text
from designer.ui.later import Later
from designer.ui.session import DesignSession

#: shown where the analysis's numbers go while a background analysis runs (draw first)
ANALYSING = "analysing… shapes, parameters and MACs appear when it finishes"


class Inspector(QScrollArea):
    """Properties of the selection; the network summary when nothing is selected."""

    def __init__(self, session: DesignSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWidgetResizable(True)
        self.setMinimumWidth(260)
        self._fields: dict[str, QLineEdit] = {}
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        # rebuilt once per event-loop turn, however many of these fire (an open sends three),
        # and only while on screen (see ui/later.py)
        self.later = Later(self, self.refresh)
        for signal in (session.selection_changed, session.analysis_ready,
                       session.document_changed, session.design_replaced,
                       session.locked_changed, session.open_started, session.open_finished):
            signal.connect(self.later.request)
        self.refresh()

    # ----- building ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the panel for the current selection now."""
        self._fields = {}
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        design = self.session.design
        selection = self.session.selection
        if self.session.preview is not None:  # drawn before its weights exist: nothing to edit
            layout.addWidget(_wrapped("Building the model's weights… its layers can be "
                                      "inspected and edited when they are ready."))
        elif design is None and self.session.open_runner.running:
            layout.addWidget(_wrapped("Opening the model… its layers appear here and on the "
                                      "canvas when it is ready."))
        elif design is None:
            layout.addWidget(QLabel("Open a model from the model browser."))
        elif len(selection) == 1 and selection[0].startswith(BLOCK_PREFIX):
            self._add_block(layout, selection[0].removeprefix(BLOCK_PREFIX))
        elif len(selection) == 1 and selection[0] in design.network:
            self._add_layer(layout, design.network[selection[0]])
        elif len(selection) > 1:
            layout.addWidget(_title(f"{len(selection)} layers selected"))
            layout.addWidget(self._shared_buttons("freeze", "unfreeze", "set_lr_factor",
                                                  "delete"))
        else:
            self._add_summary(layout)
        self.setWidget(body)

    def _add_summary(self, layout: QVBoxLayout) -> None:
        design = self.session.design
        assert design is not None
        analysis = self.session.analysis
        layout.addWidget(_title(design.info.model_name))
        form = QFormLayout()
        form.addRow("Weights:", QLabel(design.info.weights))
        if analysis is not None:
            form.addRow("Input:", _wrapped(_shape(analysis.input_shape)))
            form.addRow("Output:", _wrapped(_shape(analysis.output_shape)))
            form.addRow("Parameters:", QLabel(count_text(analysis.total_params)))
            form.addRow("Trainable:", QLabel(count_text(analysis.trainable_params)))
            form.addRow("Frozen:", QLabel(count_text(analysis.frozen_params)))
            form.addRow("MACs / image:", QLabel(count_text(analysis.total_macs)))
            form.addRow("Activations / image:", QLabel(bytes_text(analysis.activation_bytes)))
            errors = sum(1 for i in analysis.issues if i.severity == "error")
            form.addRow("Issues:", QLabel(f"{errors} error(s)" if errors else "none"))
        else:
            form.addRow("Shapes:", _wrapped(ANALYSING))
        classes = design.info.class_names
        form.addRow("Classes:", _wrapped(", ".join(classes[:12]) + (" …" if len(classes) > 12
                                                                     else "") or "—"))
        layout.addLayout(form)
        layout.addWidget(_hint("Select a layer to see and edit its properties."))

    def _add_block(self, layout: QVBoxLayout, group: str) -> None:
        design = self.session.design
        assert design is not None
        members = [ly for ly in design.network.layers_of_group(group) if not ly.plumbing]
        weighted = [ly for ly in members if ly.num_params > 0]
        layout.addWidget(_title(group))
        form = QFormLayout()
        form.addRow("Layers:", QLabel(str(len(members))))
        form.addRow("Parameters:", QLabel(count_text(sum(ly.num_params for ly in weighted))))
        frozen = sum(1 for ly in weighted if ly.frozen)
        form.addRow("Frozen:", QLabel(f"{frozen} of {len(weighted)} weighted layers"))
        layout.addLayout(form)
        row = QHBoxLayout()
        names = [ly.name for ly in members]
        for text, flag in (("Freeze block", True), ("Unfreeze block", False)):
            button = QPushButton(text)
            button.setEnabled(not self.session.locked and
                              would_set_frozen(design.network, names, flag))
            button.clicked.connect(lambda _=False, f=flag: self.session.edit(
                lambda d: d.set_frozen(names, f, f"{'Freeze' if f else 'Unfreeze'} {group}")))
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(_hint("Double-click the block on the canvas to expand it."))

    def _shared_buttons(self, *action_ids: str) -> QWidget:
        """Buttons for the shared commands (same text, enabled state and effect as the menus)."""
        actions = design_actions(self.session)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        for action_id in action_ids:
            button = QToolButton()
            button.setDefaultAction(actions[action_id])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            column.addWidget(button)
        return box

    def _add_layer(self, layout: QVBoxLayout, layer: Layer) -> None:
        design = self.session.design
        assert design is not None
        info = self.session.analysis.layers.get(layer.name) if self.session.analysis else None
        layout.addWidget(_title(f"{layer.name}  ·  {layer.kind}"))
        form = QFormLayout()
        form.addRow("Category:", QLabel(layer.category))
        if layer.op == "module":
            form.addRow("Module:", _wrapped(layer.target))
        form.addRow("Block:", QLabel(layer.group or "(top level)"))
        if info is not None:
            form.addRow("Output:", QLabel(info.shape_text or "—"))
            form.addRow("Parameters:", QLabel(f"{info.params:,}"))
            form.addRow("MACs:", QLabel(count_text(info.macs)))
            if info.error:
                form.addRow("Problem:", _wrapped(info.error, "#c0392b"))
        else:
            form.addRow("Output:", _wrapped(ANALYSING))
        layout.addLayout(form)
        if layer.num_params > 0:
            layout.addWidget(self._training_box(layer))
        if layer.params:
            layout.addWidget(self._params_box(layer))
        sharing = [ly for ly in design.network if ly.op == "module" and ly.target == layer.target]
        if layer.op == "module" and len(sharing) > 1:
            layout.addWidget(_hint(f"This module is called at {len(sharing)} places; editing its "
                                   "parameters changes all of them."))

    def _training_box(self, layer: Layer) -> QGroupBox:
        box = QGroupBox("Training")
        form = QFormLayout(box)
        frozen = QCheckBox("Frozen (weights not trained)")
        frozen.setChecked(layer.frozen)
        frozen.setEnabled(not self.session.locked)
        frozen.toggled.connect(lambda on: self.session.edit(
            lambda d: d.set_frozen([layer.name], on)))
        form.addRow(frozen)
        factor = QDoubleSpinBox()
        factor.setRange(0.0, 1000.0)
        factor.setDecimals(3)
        factor.setValue(layer.lr_factor)
        factor.setToolTip("Multiplies the learning rate for this layer's weights (0 = frozen).")
        factor.setEnabled(not self.session.locked)
        factor.editingFinished.connect(lambda: self._set_factor(layer.name, factor.value()))
        form.addRow("LR factor:", factor)
        self.lr_factor_box = factor
        self.frozen_box = frozen
        return box

    def _set_factor(self, name: str, value: float) -> None:
        design = self.session.design
        if design is not None and name in design.network and \
                design.network[name].lr_factor != value:
            self.session.edit(lambda d: d.set_lr_factor([name], value))

    def _params_box(self, layer: Layer) -> QGroupBox:
        kind = catalog_kind(layer.kind) if layer.op == "module" else None
        editable = kind is not None and not self.session.locked
        box = QGroupBox("Hyper-parameters" if editable else "Hyper-parameters (read-only)")
        form = QFormLayout(box)
        for name, value in layer.params.items():
            field = QLineEdit(_value_text(value))
            field.setReadOnly(not editable or (kind is not None and kind.spec(name) is None))
            spec = kind.spec(name) if kind else None
            if spec is not None and spec.help:
                field.setToolTip(spec.help)
            self._fields[name] = field
            form.addRow(f"{name}:", field)
        if editable:
            apply = QPushButton("Apply")
            apply.clicked.connect(lambda: self.apply_params(layer.name))
            form.addRow(apply)
            form.addRow(self.error_label)
        return box

    # ----- actions -----------------------------------------------------------------------
    def apply_params(self, name: str) -> bool:
        """Validate the edited fields and apply them as one edit; False (and a message) if invalid."""
        design = self.session.design
        if design is None or name not in design.network:
            return False
        layer = design.network[name]
        kind = catalog_kind(layer.kind)
        if kind is None:
            return False
        changed: dict[str, Any] = {}
        for key, field in self._fields.items():
            spec = kind.spec(key)
            if spec is None or field.text() == _value_text(layer.params.get(key)):
                continue
            try:
                changed[key] = spec.validate(field.text())
            except ValueError as error:
                self.error_label.setText(str(error))
                return False
        if not changed:
            return True
        errors: list[str] = []
        self.session.error_occurred.connect(errors.append)
        try:
            self.session.edit(lambda d: d.set_params(name, **changed))
        finally:
            self.session.error_occurred.disconnect(errors.append)
        if errors:
            self.error_label.setText(errors[0])
            return False
        return True


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: bold; font-size: 13px;")
    label.setWordWrap(True)
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #666;")
    return label


def _wrapped(text: str, colour: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if colour:
        label.setStyleSheet(f"color: {colour};")
    return label


def _shape(shape: tuple[int, ...] | None) -> str:
    return "—" if not shape else "×".join(str(d) for d in shape)


def _value_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
