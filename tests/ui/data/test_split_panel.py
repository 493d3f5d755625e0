"""Split percentages always add up to 100 whichever one the user edits."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from designer.project.data_config import DataConfig
from designer.ui.data.split_panel import SplitPanel, balance, percentages


@pytest.mark.parametrize(("start", "index", "value", "expected"), [
    ((70, 15, 15), 0, 80, (80, 15, 5)),    # test gives way first
    ((70, 15, 15), 0, 95, (95, 5, 0)),     # then validation
    ((70, 15, 15), 1, 30, (70, 30, 0)),
    ((70, 15, 15), 1, 50, (50, 50, 0)),    # training gives way last
    ((70, 15, 15), 2, 0, (70, 30, 0)),
    ((80, 20, 0), 2, 99, (1, 0, 99)),      # training keeps at least 1 %
    ((70, 15, 15), 0, 50, (50, 15, 35)),   # lowering one raises the next
])
def test_balance(start: tuple[int, int, int], index: int, value: int,
                 expected: tuple[int, int, int]) -> None:
    result = balance(start, index, value)
    assert result == expected
    assert sum(result) == 100


def test_percentages_of_uneven_fractions() -> None:
    assert percentages((1 / 3, 1 / 3, 1 / 3)) in {(34, 33, 33), (33, 33, 34)}
    assert sum(percentages((0.333, 0.333, 0.333))) == 100


def test_panel_edits_and_config(qtbot: QtBot) -> None:
    panel = SplitPanel()
    qtbot.addWidget(panel)
    panel.set_config(DataConfig(fractions=(0.6, 0.2, 0.2), seed=3, cap=10))
    assert panel.values == (60, 20, 20)
    assert panel.cap.isEnabled() and panel.seed.value() == 3
    with qtbot.waitSignal(panel.changed):
        panel.spins[1].setValue(40)
    assert panel.values == (60, 40, 0)
    config = panel.apply_to(DataConfig())
    assert config.fractions == pytest.approx((0.6, 0.4, 0.0))
    assert (config.seed, config.cap) == (3, 10)
    panel.cap_check.setChecked(False)
    assert panel.apply_to(DataConfig()).cap is None
    with pytest.raises(ValueError, match="add up to 100"):
        panel.set_percentages(50, 20, 20)
