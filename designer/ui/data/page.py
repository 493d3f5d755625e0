"""The Data page: choose images, split them, check them, set up augmentation, see the result.

Left: the settings (source, split, augmentation, image size). Right: what they give (class
counts, thumbnails, the health report, augmented previews), a progress strip while the data is
being prepared in the background, and a banner when the model's outputs do not fit the classes.
The page writes `workspace.data_config` and `workspace.data`; it computes nothing itself.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import NetworkAnalysis
from designer.project.data_config import DataConfig, PreparedData
from designer.surgery.design import Design
from designer.ui.actions import design_actions
from designer.ui.data.augment_panel import AugmentPanel, ImageSizeBox
from designer.ui.data.head_banner import HeadBanner
from designer.ui.data.health_view import HealthTab
from designer.ui.data.imbalance_offer import ImbalanceOffer
from designer.ui.data.overview import OverviewTab
from designer.ui.data.preparer import DataPreparer
from designer.ui.data.preview import PreviewTab
from designer.ui.data.source_panel import SourcePanel
from designer.ui.data.split_panel import SplitPanel
from designer.ui.data.thumbnails import ThumbnailsTab
from designer.ui.workspace import Workspace
from designer.zoo.preprocessing import Preprocessing

LEFT_WIDTH = 360
DEBOUNCE_MS = 250
_ERROR_STYLE = ("background: #fdecea; border: 1px solid #e6a39b; border-radius: 3px; "
                "padding: 6px; color: #8a1f11")
_INFO_STYLE = ("background: #eef2f6; border: 1px solid #c5cfda; border-radius: 3px; "
               "padding: 6px; color: #333")


class DataPage(QWidget):
    """Settings on the left, results in tabs on the right."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = workspace.session
        self.source_panel = SourcePanel()
        self.split_panel = SplitPanel()
        self.augment_panel = AugmentPanel()
        self.size_box = ImageSizeBox()
        self.head_banner = HeadBanner(design_actions(self.session, workspace)["fit_head_to_data"])
        self.imbalance = ImbalanceOffer(workspace)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop preparing; the previously prepared data stays in use")
        self.progress_strip = QWidget()
        self.overview = OverviewTab()
        self.thumbnails = ThumbnailsTab()
        self.health = HealthTab()
        self.preview = PreviewTab()
        self.tabs = QTabWidget()
        self.preparer = DataPreparer(self)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._sent: DataConfig | None = None
        self._started = False
        self._build_layout()
        self._connect()
        self._load_config(workspace.data_config)
        self._on_design_replaced(self.session.design)
        if workspace.data is not None:
            self.preparer.current, self.preparer.preprocessing = workspace.data, self.preprocessing()
            self._show_data(workspace.data)

    # ----- construction ----------------------------------------------------------------
    def _build_layout(self) -> None:
        settings = QWidget()
        column = QVBoxLayout(settings)
        column.setContentsMargins(0, 0, 4, 0)
        for box in (self.source_panel, self.split_panel, self.augment_panel, self.size_box):
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFixedWidth(LEFT_WIDTH)
        strip = QHBoxLayout(self.progress_strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.addWidget(self.progress_label)
        strip.addWidget(self.progress, 1)
        strip.addWidget(self.cancel_button)
        self.progress_strip.hide()
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.thumbnails, "Images")
        self.tabs.addTab(self.health, "Health")
        self.tabs.addTab(self.preview, "Augmentation preview")
        right = QVBoxLayout()
        right.addWidget(self.head_banner)
        right.addWidget(self.imbalance)
        right.addWidget(self.message)
        right.addWidget(self.progress_strip)
        right.addWidget(self.tabs, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

    def _connect(self) -> None:
        self.source_panel.source_chosen.connect(self._schedule)
        self.source_panel.rescan_requested.connect(self.rescan)
        self.split_panel.changed.connect(self._schedule)
        self.augment_panel.changed.connect(self._schedule)
        self.size_box.changed.connect(self._schedule)
        self._timer.timeout.connect(self.apply_settings)
        self.cancel_button.clicked.connect(self.cancel)
        self.preparer.started.connect(self._on_started)
        self.workspace.data_wanted.connect(self.prepare_if_needed)
        self.preparer.progressed.connect(self._on_progress)
        self.preparer.prepared.connect(self.workspace.set_data)
        self.preparer.failed.connect(self._on_failed)
        self.preparer.cancelled.connect(self._on_cancelled)
        self.preparer.busy_changed.connect(self.progress_strip.setVisible)
        self.workspace.data_changed.connect(self._on_data_changed)
        self.workspace.data_config_changed.connect(self._on_config_changed)
        self.session.design_replaced.connect(self._on_design_replaced)
        self.session.analysis_ready.connect(self._on_analysis)
        self.thumbnails.class_selected.connect(self.preview.set_class)
        self.thumbnails.image_activated.connect(self._preview_image)

    # ----- settings -> preparation -----------------------------------------------------
    def preprocessing(self) -> Preprocessing:
        """The open design's preprocessing, or the ImageNet default before one is open."""
        design = self.session.design
        return design.info.preprocessing if design is not None else Preprocessing()

    def settings(self) -> DataConfig:
        """The config the form describes."""
        config = replace(self.workspace.data_config, source=self.source_panel.source,
                         augment=self.augment_panel.options(),
                         image_size=self.size_box.image_size())
        return self.split_panel.apply_to(config)

    def _schedule(self) -> None:
        self._timer.start()

    def apply_settings(self) -> None:
        """Send the form to the workspace and prepare (what the debounce timer calls)."""
        self._timer.stop()
        config = self.settings()
        if config != self.workspace.data_config:
            self._sent = config
            self.workspace.set_data_config(config)
        self.preparer.request(config, self.preprocessing())

    def rescan(self) -> None:
        """Read the source again even though the settings did not change."""
        self._timer.stop()
        self.preparer.request(self.settings(), self.preprocessing(), force=True)

    def cancel(self) -> None:
        """Stop preparing; the previous data stays."""
        self._timer.stop()
        self.preparer.cancel()

    def _load_config(self, config: DataConfig) -> None:
        self.source_panel.set_source(config.source)
        self.split_panel.set_config(config)
        self.augment_panel.set_options(config.augment)
        self.size_box.set_image_size(config.image_size)

    def _on_config_changed(self, config: object) -> None:
        assert isinstance(config, DataConfig)
        if config == self._sent:
            return  # our own change, already being prepared
        self._load_config(config)
        if self._started:
            self.preparer.request(config, self.preprocessing())

    def showEvent(self, event: QShowEvent) -> None:
        """Prepare the configured data the first time the page is shown."""
        super().showEvent(event)
        self.prepare_if_needed()

    def prepare_if_needed(self) -> None:
        """Prepare the data the page shows as chosen, unless that is done or under way
        (first showing, or another page asking through `Workspace.want_data`)."""
        self._started = True
        if self.workspace.data is None and not self.preparer.busy:
            self.preparer.request(self.workspace.data_config, self.preprocessing())

    # ----- preparation feedback --------------------------------------------------------
    def _on_started(self) -> None:
        self.message.hide()
        self.progress.setValue(0)
        self.progress_label.setText("Preparing…")

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress_label.setText(text)

    def _on_failed(self, text: str) -> None:
        self._say(f"Could not use these images: {text}", _ERROR_STYLE)
        self.workspace.set_data(None)

    def _on_cancelled(self) -> None:
        data = self.workspace.data
        still = (f"The previously prepared data ({len(data.classes)} classes, "
                 f"{len(data.manifest.entries)} images) is still in use." if data is not None
                 else "No data is prepared.")
        self._say(f"Preparing was cancelled. {still} Press Re-scan to try again.", _INFO_STYLE)

    def _say(self, text: str, style: str) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)
        self.message.show()

    # ----- showing data ----------------------------------------------------------------
    def _on_data_changed(self, data: object) -> None:
        assert data is None or isinstance(data, PreparedData)
        if data is not self.preparer.current and data is not None:
            self.preparer.current, self.preparer.preprocessing = data, self.preprocessing()
        self._show_data(data)

    def _show_data(self, data: PreparedData | None) -> None:
        if data is not None:
            self.message.hide()
        self.overview.show_data(data)
        self.health.show_report(data.report if data is not None else None)
        self.imbalance.show_report(data.report if data is not None else None)
        if self.imbalance.offered:  # the strip above the tabs says it, with what to do
            self.overview.warning.hide()
        shown = self.thumbnails.data
        if data is None or shown is None or data.manifest is not shown.manifest:
            self.thumbnails.show_data(data)  # a new split: reload (the split labels change)
        self.preview.set_data(data, self.preprocessing())
        if data is None:
            self.source_panel.set_location(None)
            self.split_panel.counts.setText("")
        else:
            counts = {s: sum(c.values()) for s, c in data.manifest.counts().items()}
            self.split_panel.set_counts(counts, data.scan.has_splits)
            self.source_panel.set_location(data.scan.root, f"{len(data.classes)} classes, "
                                           f"{len(data.manifest.entries)} usable images")
        self._update_banner()

    def _preview_image(self, path: object) -> None:
        self.preview.set_sample(path)  # type: ignore[arg-type]
        self.tabs.setCurrentWidget(self.preview)

    # ----- the model -------------------------------------------------------------------
    def _on_design_replaced(self, design: Design | None) -> None:
        pre = design.info.preprocessing if design is not None else Preprocessing()
        self.size_box.set_model_size(pre.crop_size)
        if self.preparer.current is not None and pre != self.preparer.preprocessing:
            self.preparer.request(self.workspace.data_config, pre)

    def _on_analysis(self, _analysis: NetworkAnalysis) -> None:
        self._update_banner()

    def _update_banner(self) -> None:
        data = self.workspace.data
        analysis = self.session.analysis if self.session.design is not None else None
        shape = analysis.output_shape if analysis is not None else None
        outputs = shape[-1] if shape else None
        self.head_banner.update_for(outputs, len(data.classes) if data is not None else 0)

    def replace_head(self) -> None:
        """Give the model one output per class of the prepared data (the shared command)."""
        design_actions(self.session, self.workspace).fit_head_to_data()

    def shutdown(self) -> None:
        """Stop every background job (window closing, tests)."""
        self._timer.stop()
        self.preparer.shutdown()
        self.thumbnails.shutdown()
        self.preview.shutdown()
