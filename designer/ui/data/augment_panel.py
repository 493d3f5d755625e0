"""Augmentation options as a form, and the image-size override.

The form keeps its values while augmentation is switched off, so switching it back on restores
them; when a project has no augmentation the form starts from the recommended set.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from designer.data import AugmentOptions

POLICY_LABELS = {"none": "None", "randaugment": "RandAugment",
                 "trivialaugment": "TrivialAugment"}
_POLICY_TIP = ("An automatic preset on top of the choices above: RandAugment applies two random "
               "operations (rotate, shear, colour, contrast, ...) at the chosen magnitude; "
               "TrivialAugment applies one at a random strength and needs no tuning. The previews "
               "show what they do to your images.")

_JITTER_TIPS = {
    "brightness": "Random brightness change, up to ± this fraction",
    "contrast": "Random contrast change, up to ± this fraction",
    "saturation": "Random colour saturation change, up to ± this fraction",
    "hue": "Random hue shift, up to ± this fraction of the colour circle (at most 0.5)",
}


def _spin(low: float, high: float, step: float, tip: str, suffix: str = "",
          decimals: int = 2) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    return spin


class AugmentPanel(QGroupBox):
    """Master switch, flips, rotation, random crop, shift and colour jitter; `changed` on edits."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Augmentation (training images only)", parent)
        self.enabled = QCheckBox("Augment training images")
        self.enabled.setToolTip("Show the network a randomly changed version of each training "
                                "image every epoch; validation and test images are never changed")
        self.recommended = QPushButton("Recommended")
        self.recommended.setToolTip("A mild set that suits most photos: flip, random crop, "
                                    "small rotation, colour jitter")
        self.recommended.clicked.connect(self.use_recommended)
        self.hflip = QCheckBox("left-right")
        self.hflip.setToolTip("Mirror images at random (fine for most photos, not for text)")
        self.vflip = QCheckBox("upside-down")
        self.vflip.setToolTip("Flip images vertically at random (aerial or microscope images)")
        self.rotation = _spin(0, 180, 5, "Rotate by a random angle up to ± this", " °", 0)
        self.crop = QCheckBox("area")
        self.crop.setToolTip("Crop a random part of the image (this share of its area) and "
                             "resize it; off: resize and centre-crop like evaluation")
        self.scale_min = _spin(0.05, 1.0, 0.05, "Smallest share of the image area a crop keeps")
        self.scale_max = _spin(0.05, 1.0, 0.05, "Largest share of the image area a crop keeps")
        self.translate = _spin(0, 50, 5, "Shift by up to ± this share of the image size", " %", 0)
        self.jitter = {name: _spin(0, 0.5 if name == "hue" else 1.0, 0.05, tip)
                       for name, tip in _JITTER_TIPS.items()}
        self.policy = QComboBox()
        for value, label in POLICY_LABELS.items():
            self.policy.addItem(label, value)
        self.policy.setToolTip(_POLICY_TIP)
        self.magnitude = QSpinBox()
        self.magnitude.setRange(0, 30)
        self.magnitude.setToolTip("RandAugment's strength, 0-30 (9 is the usual choice)")
        self._build_layout()
        self._options = [self.hflip, self.vflip, self.rotation, self.crop, self.scale_min,
                         self.scale_max, self.translate, *self.jitter.values(), self.policy,
                         self.magnitude]
        self.policy.currentIndexChanged.connect(self._on_edit)
        self.magnitude.valueChanged.connect(self._on_edit)
        for box in (self.enabled, self.hflip, self.vflip, self.crop):
            box.toggled.connect(self._on_edit)
        for spin in (self.rotation, self.scale_min, self.scale_max, self.translate,
                     *self.jitter.values()):
            spin.valueChanged.connect(self._on_edit)
        self.set_options(AugmentOptions())

    def _build_layout(self) -> None:
        form = QFormLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.enabled, 1)
        top.addWidget(self.recommended)
        form.addRow(top)
        form.addRow("Flips", self._row(self.hflip, self.vflip))
        form.addRow("Rotation  ±", self.rotation)
        form.addRow("Random crop", self._row(self.crop, self.scale_min, QLabel("to"),
                                             self.scale_max))
        form.addRow("Shift  ±", self.translate)
        form.addRow("Brightness", self._row(self.jitter["brightness"], QLabel("Contrast"),
                                            self.jitter["contrast"]))
        form.addRow("Saturation", self._row(self.jitter["saturation"], QLabel("Hue"),
                                            self.jitter["hue"]))
        form.addRow("Preset", self.policy)
        form.addRow("Magnitude", self.magnitude)

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget)
        return row

    def options(self) -> AugmentOptions:
        """What training will use (all off when the master switch is off)."""
        if not self.enabled.isChecked():
            return AugmentOptions()
        low, high = sorted((self.scale_min.value(), self.scale_max.value()))
        return AugmentOptions(
            hflip=self.hflip.isChecked(), vflip=self.vflip.isChecked(),
            rotation_degrees=self.rotation.value(),
            scale=(low, high) if self.crop.isChecked() else None,
            translate=self.translate.value() / 100,
            brightness=self.jitter["brightness"].value(), contrast=self.jitter["contrast"].value(),
            saturation=self.jitter["saturation"].value(), hue=self.jitter["hue"].value(),
            policy=self.policy.currentData(), magnitude=self.magnitude.value(),
        )

    def set_options(self, options: AugmentOptions) -> None:
        """Show `options` without emitting (the recommended set fills a switched-off form)."""
        shown = options if options.enabled else AugmentOptions.recommended()
        widgets = [self.enabled, *self._options]
        for widget in widgets:
            widget.blockSignals(True)
        self.enabled.setChecked(options.enabled)
        self.hflip.setChecked(shown.hflip)
        self.vflip.setChecked(shown.vflip)
        self.rotation.setValue(shown.rotation_degrees)
        self.crop.setChecked(shown.scale is not None)
        low, high = shown.scale or (0.6, 1.0)
        self.scale_min.setValue(low)
        self.scale_max.setValue(high)
        self.translate.setValue(shown.translate * 100)
        for name, spin in self.jitter.items():
            spin.setValue(float(getattr(shown, name)))
        self.policy.setCurrentIndex(max(0, self.policy.findData(shown.policy)))
        self.magnitude.setValue(shown.magnitude)
        for widget in widgets:
            widget.blockSignals(False)
        self._update_enabled()

    def use_recommended(self) -> None:
        """Switch augmentation on with the recommended set."""
        self.set_options(AugmentOptions.recommended())
        self.changed.emit()

    def _on_edit(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        on = self.enabled.isChecked()
        for widget in self._options:
            widget.setEnabled(on)
        for spin in (self.scale_min, self.scale_max):
            spin.setEnabled(on and self.crop.isChecked())
        self.magnitude.setEnabled(on and self.policy.currentData() == "randaugment")


class ImageSizeBox(QGroupBox):
    """Use the model's input size, or a smaller/larger one (quick experiments, small images)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Image size", parent)
        self.use_model = QCheckBox()
        self.use_model.setChecked(True)
        self.use_model.setToolTip("Crop images to the size the model's weights were trained at")
        self.spin = QSpinBox()
        self.spin.setRange(16, 1024)
        self.spin.setSingleStep(8)
        self.spin.setSuffix(" px")
        self.spin.setToolTip("Crop size fed to the network (smaller trains faster; the resize "
                             "before the crop scales along)")
        self.spin.setEnabled(False)
        self.use_model.toggled.connect(lambda on: self.spin.setEnabled(not on))
        self.use_model.toggled.connect(self.changed)
        self.spin.valueChanged.connect(lambda: None if self.use_model.isChecked()
                                       else self.changed.emit())
        row = QHBoxLayout(self)
        row.addWidget(self.use_model, 1)
        row.addWidget(self.spin)
        self._model_size = 224
        self.set_model_size(224)

    def set_model_size(self, crop: int) -> None:
        """The model's own crop size (shown, and used while the box is ticked)."""
        self._model_size = crop
        self.use_model.setText(f"Model's size ({crop} px)")
        if self.use_model.isChecked():
            self.spin.blockSignals(True)
            self.spin.setValue(crop)
            self.spin.blockSignals(False)

    def image_size(self) -> int | None:
        """The override, or None for the model's size."""
        return None if self.use_model.isChecked() else self.spin.value()

    def set_image_size(self, size: int | None) -> None:
        """Show a config's image size without emitting."""
        for widget in (self.use_model, self.spin):
            widget.blockSignals(True)
        self.use_model.setChecked(size is None)
        self.spin.setEnabled(size is not None)
        self.spin.setValue(size or self._model_size)
        for widget in (self.use_model, self.spin):
            widget.blockSignals(False)
