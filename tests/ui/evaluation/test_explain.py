"""Grad-CAM in the Evaluate page: the gallery's image viewer and "Classify image…"."""

from __future__ import annotations

import threading

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from designer.data import build_transforms, load_rgb
from designer.evaluation import grad_cam
from designer.project.run_model import run_design
from designer.ui.evaluation import EvaluationPage, actions
from designer.ui.evaluation import explain as explain_module
from designer.ui.evaluation.explain import ExplainedImage

TIMEOUT = 60_000


def _open_first_image(qtbot: QtBot, page: EvaluationPage) -> None:
    view = page.gallery.list
    centre = view.visualRect(page.gallery.model.index(0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")
def test_viewer_overlays_grad_cam_computed_off_the_gui_thread(
        qtbot: QtBot, page: EvaluationPage, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = explain_module.grad_cam

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(explain_module, "grad_cam", spy)
    assert page.gallery.predictions, "the page opens on a cell with images"
    shown = page.gallery.predictions[0]
    _open_first_image(qtbot, page)
    viewer = page.gallery.viewer
    assert viewer is not None
    with qtbot.waitSignal(viewer.explain.explained, timeout=TIMEOUT) as blocker:
        pass
    first: ExplainedImage = blocker.args[0]
    assert threads and threads[0] is not threading.main_thread()
    assert first.target == shown.predicted, "the predicted class by default"
    # the same map as the computation module gives for this image and class
    run = page.run
    assert run is not None
    design = run_design(run.run_dir)
    prepared = build_transforms(design.info.preprocessing, None, train=False,
                                image_size=run.image_size)(load_rgb(shown.path))
    expected = grad_cam(design.build(), prepared, shown.predicted)
    assert first.layer == expected.layer
    assert first.heat.width() == prepared.shape[2] and first.heat.height() == prepared.shape[1]
    box = viewer.explain.class_box
    assert box.count() == len(page.gallery.model.classes)
    assert box.currentData() == shown.predicted
    before = viewer.explain.picture.pixmap().toImage()
    viewer.explain.opacity.setValue(0)  # opacity repaints only: the plain image
    plain = viewer.explain.picture.pixmap().toImage()
    assert plain != before
    assert len(threads) == 1, "changing the opacity computes nothing"
    other = next(i for i in range(box.count()) if box.itemData(i) != shown.predicted)
    with qtbot.waitSignal(viewer.explain.explained, timeout=TIMEOUT) as blocker:
        box.setCurrentIndex(other)
        box.activated.emit(other)
    assert blocker.args[0].target == box.itemData(other), "any other class on request"
    layers = viewer.explain.layer_box
    assert layers.count() >= 2 and layers.currentText() == first.layer == first.layers[-1]
    with qtbot.waitSignal(viewer.explain.explained, timeout=TIMEOUT) as blocker:
        layers.setCurrentIndex(0)
        layers.activated.emit(0)
    assert blocker.args[0].layer == first.layers[0], "the layer can be chosen"
    viewer.close()


@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")
def test_classified_image_opens_grad_cam(qtbot: QtBot, page: EvaluationPage,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    run = page.run
    assert run is not None and run.evaluation is not None
    path = str(run.evaluation.result().predictions[0].path)
    monkeypatch.setattr(actions, "choose_image_files", lambda _parent: [path])
    with qtbot.waitSignal(page.classify_panel.classified, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.classify_button, Qt.MouseButton.LeftButton)
    top_label = blocker.args[0][0].top[0][0]
    buttons = [b for b in page.classify_panel.findChildren(QPushButton)
               if b.text() == "Where does it look?"]
    assert len(buttons) == 1
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    dialog = page.classify_panel.explainer
    assert dialog is not None
    with qtbot.waitSignal(dialog.view.explained, timeout=TIMEOUT) as done:
        pass
    explained: ExplainedImage = done.args[0]
    assert explained.classes[explained.target] == top_label
    assert torch.isfinite(torch.tensor(explained.probabilities)).all()
    assert not dialog.view.picture.pixmap().isNull()
    dialog.close()
