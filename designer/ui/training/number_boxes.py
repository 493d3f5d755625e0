"""Spin boxes for numbers that span decades (learning rate, weight decay): 3e-4, not 0.000300."""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

_MANTISSAS = (1.0, 2.0, 5.0)


def _ladder_index(value: float) -> float:
    """Position of `value` on the 1-2-5 ladder (…, 1e-3, 2e-3, 5e-3, 1e-2, …)."""
    decade = math.floor(math.log10(value))
    mantissa = value / 10**decade
    below = max(i for i, m in enumerate(_MANTISSAS) if m <= mantissa * (1 + 1e-9))
    exact = math.isclose(mantissa, _MANTISSAS[below], rel_tol=1e-6)
    return decade * 3 + below + (0.0 if exact else 0.5)


def _ladder_value(index: int) -> float:
    decade, step = divmod(index, 3)
    return float(f"{_MANTISSAS[step] * 10**decade:.3g}")


class ScientificSpinBox(QDoubleSpinBox):
    """Shows values as '%g' and steps along 1-2-5 (arrow keys: 1e-3 -> 2e-3 -> 5e-3 -> 1e-2).

    `allow_zero` keeps 0 reachable (weight decay 0 = off): stepping down from the lowest value
    gives 0 and stepping up from 0 gives the lowest value.
    """

    def __init__(self, minimum: float, maximum: float, *, allow_zero: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._low = minimum
        self._allow_zero = allow_zero
        self.setDecimals(12)  # QDoubleSpinBox rounds values to `decimals`
        self.setRange(0.0 if allow_zero else minimum, maximum)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            partial = stripped in ("", "-", ".") or stripped.lower().endswith(("e", "e-", "e+"))
            state = QValidator.State.Intermediate if partial else QValidator.State.Invalid
            return state, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate,
                text, pos)

    def stepBy(self, steps: int) -> None:
        value = self.value()
        if value <= 0:
            if steps > 0:
                self.setValue(self._low)
            return
        index = _ladder_index(value)
        target = math.floor(index) + steps if steps > 0 else math.ceil(index) + steps
        new = _ladder_value(int(target))
        if self._allow_zero and new < self._low:
            new = 0.0
        self.setValue(min(max(new, self.minimum()), self.maximum()))
