"""Augmentation form and the live previews: what training will see."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.data import AugmentOptions
from designer.ui.data import DataPage
from designer.ui.data.preview import PREVIEW_COUNT
from designer.ui.workspace import Workspace

WAIT_MS = 20_000


def wait_for_previews(qtbot: QtBot, page: DataPage, augment: AugmentOptions) -> None:
    """Until the previews on screen were rendered with `augment` (renders are debounced)."""
    qtbot.waitUntil(lambda: page.preview.shown_inputs is not None
                    and page.preview.shown_inputs.augment == augment, timeout=WAIT_MS)


def distinct(page: DataPage) -> int:
    images = page.preview.images
    return len({bytes(image.constBits()) for image in images})


def test_previews_differ_with_augmentation_and_match_without(qtbot: QtBot, page: DataPage,
                                                            workspace: Workspace) -> None:
    page.tabs.setCurrentWidget(page.preview)
    page.augment_panel.recommended.click()
    recommended = AugmentOptions.recommended()
    assert page.augment_panel.enabled.isChecked()
    wait_for_previews(qtbot, page, recommended)
    assert workspace.data_config.augment == recommended
    data = workspace.data
    assert data is not None and data.config.augment == recommended  # training gets it too
    assert len(page.preview.images) == PREVIEW_COUNT
    assert {(i.width(), i.height()) for i in page.preview.images} == {(32, 32)}  # image size
    assert distinct(page) == PREVIEW_COUNT
    assert "random draws" in page.preview.caption.text()

    page.augment_panel.enabled.setChecked(False)
    wait_for_previews(qtbot, page, AugmentOptions())
    assert not workspace.data_config.augment.enabled
    assert len(page.preview.images) == PREVIEW_COUNT
    assert distinct(page) == 1
    assert "augmentation is off" in page.preview.caption.text()


def test_switching_augmentation_back_on_restores_the_form(page: DataPage) -> None:
    panel = page.augment_panel
    panel.enabled.setChecked(True)
    panel.rotation.setValue(45)
    panel.vflip.setChecked(True)
    panel.crop.setChecked(False)
    options = panel.options()
    assert options.rotation_degrees == 45 and options.vflip and options.scale is None
    panel.enabled.setChecked(False)
    assert panel.options() == AugmentOptions()
    assert not panel.rotation.isEnabled()
    panel.enabled.setChecked(True)
    assert panel.options() == options


def test_augmentation_change_keeps_the_split(qtbot: QtBot, page: DataPage,
                                             workspace: Workspace) -> None:
    before = workspace.data
    assert before is not None
    with qtbot.assertNotEmitted(page.preparer.started), \
            qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        page.augment_panel.enabled.setChecked(True)  # no re-scan for a transform change
    after = workspace.data
    assert after is not None and after.config.augment.enabled
    assert after.manifest is before.manifest and after.report is before.report


def test_image_size_override(qtbot: QtBot, page: DataPage, workspace: Workspace) -> None:
    box = page.size_box
    assert not box.use_model.isChecked() and box.spin.value() == 32
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        box.use_model.setChecked(True)
    assert workspace.data_config.image_size is None
    assert "224 px" in box.use_model.text()
    wait_for_previews(qtbot, page, AugmentOptions())
    qtbot.waitUntil(lambda: page.preview.images[0].width() == 224, timeout=WAIT_MS)
    with qtbot.waitSignal(workspace.data_changed, timeout=WAIT_MS):
        box.use_model.setChecked(False)
        box.spin.setValue(48)
    assert workspace.data_config.image_size == 48
    qtbot.waitUntil(lambda: page.preview.images[0].width() == 48, timeout=WAIT_MS)


def test_double_clicked_thumbnail_is_previewed(qtbot: QtBot, page: DataPage,
                                               workspace: Workspace) -> None:
    page.tabs.setCurrentWidget(page.thumbnails)
    with qtbot.waitSignal(page.thumbnails.loaded, timeout=WAIT_MS):
        page.thumbnails.select_class("stripes")
    grid = page.thumbnails.grid
    item = grid.item(5)
    path = item.data(Qt.ItemDataRole.UserRole)
    grid.scrollToItem(item)
    centre = grid.visualItemRect(item).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # a real double
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # click: 2 presses
    assert page.tabs.currentWidget() is page.preview
    qtbot.waitUntil(lambda: page.preview.shown_inputs is not None
                    and page.preview.shown_inputs.path == path, timeout=WAIT_MS)
    assert path.name in page.preview.caption.text()
    page.augment_panel.recommended.click()  # the picked image stays while options change
    wait_for_previews(qtbot, page, AugmentOptions.recommended())
    assert page.preview.shown_inputs is not None and page.preview.shown_inputs.path == path
    page.preview.next_button.click()  # back to the class's own images
    qtbot.waitUntil(lambda: page.preview.shown_inputs is not None
                    and page.preview.shown_inputs.path != path, timeout=WAIT_MS)
    assert page.preview.shown_inputs.path.parent.name == "stripes"


def test_a_preset_reaches_training_and_changes_the_previews(qtbot: QtBot, page: DataPage,
                                                            workspace: Workspace) -> None:
    page.tabs.setCurrentWidget(page.preview)
    panel = page.augment_panel
    panel.enabled.setChecked(True)
    panel.set_options(AugmentOptions(hflip=True))
    panel.enabled.setChecked(True)
    wait_for_previews(qtbot, page, AugmentOptions(hflip=True))
    plain = [bytes(i.constBits()) for i in page.preview.images]
    assert not panel.magnitude.isEnabled()
    panel.policy.setCurrentIndex(panel.policy.findData("randaugment"))
    assert panel.magnitude.isEnabled()
    panel.magnitude.setValue(20)
    preset = AugmentOptions(hflip=True, policy="randaugment", magnitude=20)
    wait_for_previews(qtbot, page, preset)
    assert workspace.data_config.augment == preset
    shown = [bytes(i.constBits()) for i in page.preview.images]
    assert sum(a != b for a, b in zip(plain, shown, strict=True)) >= PREVIEW_COUNT // 2
