"""The training options as a form: one widget per `TrainingOptions` field the user tunes.

The form edits a copy and publishes it through `options_edited` only when the whole set is
valid; the fields it does not show (channels_last, loader workers, ...) keep their values.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.training.errors import OptionsError
from designer.training.options import TrainingOptions
from designer.ui.training.number_boxes import ScientificSpinBox

SOLVER_LABELS = {"sgdm": "SGD with momentum", "adam": "Adam", "adamw": "AdamW",
                 "rmsprop": "RMSprop"}
SCHEDULE_LABELS = {"none": "Constant", "step": "Step decay", "cosine": "Cosine",
                   "onecycle": "One-cycle"}
DEVICE_LABELS = {"auto": "Auto (GPU if present)", "cpu": "CPU", "cuda": "CUDA GPU"}
PRECISION_LABELS = {"auto": "Auto", "off": "Off (fp32)", "bf16": "bfloat16", "fp16": "float16"}
CACHE_LABELS = {"auto": "Auto", "off": "Off", "memory": "In memory", "disk": "On disk"}
KEEP_LABELS = {"best": "Best validation", "last": "Last epoch"}
WEIGHT_LABELS = {"off": "Off", "balanced": "Balanced (rare classes weigh more)"}
SAMPLER_LABELS = {"shuffle": "Shuffle (each image once)",
                  "balanced": "Balanced (classes equally often)"}
RECIPE_LABELS = {"standard": "Standard",
                 "finetune": "Fine-tune (head first)"}

TIPS = {
    "solver": "The optimiser. AdamW is a robust default for fine-tuning; SGD with momentum can "
              "generalise slightly better with a tuned learning rate.",
    "lr": "Initial learning rate. 1e-3 suits a new head with Adam/AdamW; use 1e-4 or lower when "
          "unfrozen pretrained layers train too. Arrow keys step 1-2-5.",
    "momentum": "Momentum of SGD with momentum. Adam, AdamW and RMSprop do not use it.",
    "weight_decay": "L2 penalty that keeps weights small (0 = off). Biases and normalisation "
                    "layers are not decayed.",
    "schedule": "How the learning rate changes over the run: constant, divided by 'gamma' every "
                "'step' epochs, cosine decay to zero, or one-cycle (up then down).",
    "step_size": "Step decay: epochs between learning-rate drops.",
    "gamma": "Step decay: factor applied at each drop (0.1 = ten times smaller).",
    "warmup_epochs": "Epochs over which the learning rate ramps up linearly from near zero "
                     "(fractions allowed; 0 = no warm-up). Helps large learning rates start.",
    "epochs": "Passes over the training set.",
    "batch_size": "Images per optimiser step. Smaller uses less memory; larger is faster on a GPU.",
    "validate_every": "Validate every N iterations (0 = once at the end of each epoch).",
    "early_stopping_patience": "Stop when validation accuracy has not improved for this many "
                               "validations (0 = never stop early).",
    "grad_clip": "Clip the global gradient norm to this value (0 = off). Try 1-5 when the loss "
                 "jumps or becomes NaN.",
    "label_smoothing": "Softens one-hot targets (0.1 is common); can help calibration.",
    "seed": "Random seed: the same seed, data and options give the same run.",
    "device": "Where to train. Auto uses a CUDA GPU when one is present, else the CPU.",
    "mixed_precision": "Autocast to 16-bit floats where it is faster: on a GPU and on CPUs "
                       "with fast bfloat16. Auto measures and decides.",
    "feature_cache": "With a frozen backbone and no augmentation, compute the backbone's "
                     "features once and train only the head on them (much faster). Auto picks "
                     "memory or disk by size.",
    "recipe": "Fine-tune trains the new head first (on cached features: seconds), then unfreezes "
              "the whole network with smaller learning rates for earlier layers - the most "
              "robust way to adapt a pretrained model (fastai's fine_tune, linear probe then "
              "fine-tune).",
    "head_epochs": "Fine-tune: epochs that train only the head before the whole network trains.",
    "finetune_lr_ratio": "Fine-tune: the whole network trains at the learning rate times this.",
    "layer_lr_decay": "Fine-tune: each earlier group of layers (four groups) trains at this "
                      "factor of the next one's learning rate, so general early features "
                      "change least.",
    "class_weights": "For an imbalanced training set (the data health report warns about it): "
                     "weigh each image's loss by 1 / its class's count, so every class counts "
                     "as much. Recorded in the run's options.",
    "sampler": "For an imbalanced training set: draw the images of each epoch so every class "
               "is seen about equally often (rare images repeat, common ones are skipped). Can "
               "be combined with class weights. Recorded in the run's options.",
    "mixup_alpha": "MixUp: blend pairs of training images and their labels (soft targets); "
                   "0.2-0.4 is common, 0 = off. Mixed images turn the feature cache off.",
    "cutmix_alpha": "CutMix: paste a patch of another training image, labels mixed by area; "
                    "1.0 is common, 0 = off. With MixUp also on, each batch gets one of the two.",
    "ema_decay": "Model EMA: keep an exponential moving average of the weights (averaging about "
                 "1 / (1 - decay) steps); validation, checkpoints and the saved model use it. "
                 "0.99-0.999 for long runs, lower for short ones; 0 = off.",
    "keep": "Which weights the run keeps: those with the best validation accuracy, or the last.",
}


class TrainingOptionsForm(QWidget):
    """Grouped fields for the options; emits `options_edited(TrainingOptions)` on valid edits."""

    #: the user changed a field and the options are valid (payload: TrainingOptions)
    options_edited = Signal(object)

    def __init__(self, options: TrainingOptions, cuda_available: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._options = options
        self._updating = False
        self.fields: dict[str, QWidget] = {}
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._recipe_group())
        layout.addWidget(self._optimiser_group())
        layout.addWidget(self._schedule_group())
        layout.addWidget(self._run_group())
        layout.addWidget(self._regularisers_group())
        layout.addWidget(self._hardware_group(cuda_available))
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        self.set_options(options)

    # ----- building ----------------------------------------------------------------------
    def _group(self, title: str, rows: list[tuple[str, str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, label, widget in rows:
            widget.setToolTip(TIPS[name])
            widget.setObjectName(name)
            self.fields[name] = widget
            form.addRow(label, widget)
            form.labelForField(widget).setToolTip(TIPS[name])
            self._connect(widget)
        return box

    def _recipe_group(self) -> QGroupBox:
        return self._group("Recipe", [
            ("recipe", "Recipe", _combo(RECIPE_LABELS)),
            ("head_epochs", "Head-only epochs", _int(1, 100_000)),
            ("finetune_lr_ratio", "Whole-network lr factor", _double(0.001, 1.0, 0.05, 3)),
            ("layer_lr_decay", "Earlier-layer lr factor", _double(0.01, 1.0, 0.05, 2)),
        ])

    def _optimiser_group(self) -> QGroupBox:
        return self._group("Optimiser", [
            ("solver", "Solver", _combo(SOLVER_LABELS)),
            ("lr", "Learning rate", ScientificSpinBox(1e-8, 1e10)),
            ("momentum", "Momentum", _double(0.0, 0.999, 0.01, 3)),
            ("weight_decay", "Weight decay", ScientificSpinBox(1e-8, 10.0, allow_zero=True)),
        ])

    def _schedule_group(self) -> QGroupBox:
        return self._group("Learning-rate schedule", [
            ("schedule", "Schedule", _combo(SCHEDULE_LABELS)),
            ("step_size", "Step every (epochs)", _int(1, 10_000)),
            ("gamma", "Step factor", _double(0.001, 1.0, 0.05, 3)),
            ("warmup_epochs", "Warm-up (epochs)", _double(0.0, 1000.0, 0.5, 2)),
        ])

    def _run_group(self) -> QGroupBox:
        return self._group("Run", [
            ("epochs", "Epochs", _int(1, 100_000)),
            ("batch_size", "Batch size", _int(1, 65_536)),
            ("validate_every", "Validate every (iterations)", _int(0, 10_000_000, "Each epoch")),
            ("early_stopping_patience", "Early stopping patience", _int(0, 10_000, "Off")),
            ("grad_clip", "Gradient clipping", _double(0.0, 1e6, 0.5, 2, "Off")),
            ("label_smoothing", "Label smoothing", _double(0.0, 0.99, 0.05, 2)),
            ("class_weights", "Class weights", _combo(WEIGHT_LABELS)),
            ("seed", "Seed", _int(0, 2**31 - 1)),
            ("keep", "Keep weights", _combo(KEEP_LABELS)),
        ])

    def _regularisers_group(self) -> QGroupBox:
        return self._group("Regularisers", [
            ("sampler", "Sampler", _combo(SAMPLER_LABELS)),
            ("mixup_alpha", "MixUp alpha", _double(0.0, 10.0, 0.1, 2, "Off")),
            ("cutmix_alpha", "CutMix alpha", _double(0.0, 10.0, 0.1, 2, "Off")),
            ("ema_decay", "EMA decay", _double(0.0, 0.9999, 0.001, 4, "Off")),
        ])

    def _hardware_group(self, cuda_available: bool) -> QGroupBox:
        device = _combo(DEVICE_LABELS)
        if not cuda_available:
            item = device.model().item(list(DEVICE_LABELS).index("cuda"))  # type: ignore[attr-defined]
            item.setEnabled(False)
            item.setToolTip("No CUDA GPU was found on this computer.")
        box = self._group("Hardware", [
            ("device", "Device", device),
            ("mixed_precision", "Mixed precision", _combo(PRECISION_LABELS)),
            ("feature_cache", "Feature cache", _combo(CACHE_LABELS)),
        ])
        if not cuda_available:
            device.setToolTip(TIPS["device"] + " No CUDA GPU was found on this computer.")
        return box

    def _connect(self, widget: QWidget) -> None:
        if isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self._on_field_changed)
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            widget.valueChanged.connect(self._on_field_changed)

    # ----- values ------------------------------------------------------------------------
    @property
    def current(self) -> TrainingOptions:
        """The last valid options shown or edited."""
        return self._options

    def options(self) -> TrainingOptions:
        """The options as currently shown (raises OptionsError when they cannot work)."""
        return self._options.replace(**{name: _read(w) for name, w in self.fields.items()})

    def set_value(self, name: str, value: Any) -> None:
        """Put `value` in field `name` as if the user had typed it (published when valid)."""
        if name not in self.fields:
            raise KeyError(f"no field {name!r} on the training form")
        _write(self.fields[name], value)

    def set_options(self, options: TrainingOptions) -> None:
        """Show `options` (from the workspace or a loaded project) without echoing them back."""
        self._options = options
        self._updating = True
        try:
            for name, widget in self.fields.items():
                _write(widget, getattr(options, name))
        finally:
            self._updating = False
        self._update_enabled()
        self.error_label.hide()

    def _on_field_changed(self) -> None:
        self._update_enabled()
        if self._updating:
            return
        try:
            options = self.options()
        except OptionsError as error:
            self.error_label.setText(str(error))
            self.error_label.show()
            return
        self.error_label.hide()
        self._options = options
        self.options_edited.emit(options)

    def _update_enabled(self) -> None:
        """Grey out what the current choices ignore (step size without a step schedule, ...)."""
        schedule = _read(self.fields["schedule"])
        self.fields["momentum"].setEnabled(_read(self.fields["solver"]) == "sgdm")
        self.fields["step_size"].setEnabled(schedule == "step")
        self.fields["gamma"].setEnabled(schedule == "step")
        finetune = _read(self.fields["recipe"]) == "finetune"
        for name in ("head_epochs", "finetune_lr_ratio", "layer_lr_decay"):
            self.fields[name].setEnabled(finetune)


def _combo(labels: dict[str, str]) -> QComboBox:
    box = QComboBox()
    # long labels must not widen the form past its column (it would be cut off on the right)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for value, label in labels.items():
        box.addItem(label, value)
    return box


def _int(low: int, high: int, zero_text: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSpecialValueText(zero_text)
    box.setKeyboardTracking(False)
    return box


def _double(low: float, high: float, step: float, decimals: int,
            zero_text: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSpecialValueText(zero_text)
    box.setKeyboardTracking(False)
    return box


def _read(widget: QWidget) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    raise TypeError(type(widget).__name__)


def _write(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox):
        index = widget.findData(value)
        widget.setCurrentIndex(max(index, 0))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
