"""The Train page: options, Start / Stop, live curves, progress and the run log.

Training runs on a `TrainingRunner` (a QThread behind it); every signal it emits arrives on the
GUI thread at most ~20 times a second, so the window stays responsive. Beside the live curves,
tabs show the planned learning-rate schedule (redrawn as the options change), the learning-rate
finder (a range test on its own background task) and the last cross-validation's table; "Cross-
validate" makes Start train K runs over folds of the data instead of one. The design is locked for
editing while it trains and unlocked when the run ends, whatever the outcome; a finished or
stopped run is saved and added to the workspace's runs.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.project.data_config import PreparedData
from designer.project.kfold import MAX_FOLDS, KFoldSummary, load_summaries
from designer.project.runs import RunRecord
from designer.surgery.snapshot import FrozenDesign
from designer.training.errors import OptionsError
from designer.training.events import (
    EpochEvent,
    FinishedEvent,
    IterationEvent,
    LogEvent,
    StartEvent,
)
from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.ui.actions import design_actions
from designer.ui.training import export
from designer.ui.training.kfold_table import KFoldTable, spread_text
from designer.ui.training.lr_finder_panel import LrFinderPanel
from designer.ui.training.message import Kind, MessageStrip
from designer.ui.training.options_form import TrainingOptionsForm
from designer.ui.training.plots import PHASE_TEXT, PLOT_TITLES, TrainingPlots
from designer.ui.training.progress import RunProgress
from designer.ui.training.results import HEADLINES, finish_text
from designer.ui.training.schedule_preview import SchedulePreview
from designer.ui.training.start_checks import StartProblem, start_problem
from designer.ui.workspace import Workspace
from designer.workers.training import (
    FoldStarted,
    KFoldRequest,
    RunRequest,
    TrainingRunner,
    cuda_available,
)

log = logging.getLogger(__name__)

LOG_LINES = 5000
#: said while a run trains (the message strip keeps its height when the outcome replaces it)
STOP_HINT = ("Stop ends the run after the current batch: it is saved with the best weights so "
             "far, evaluated, and can be resumed.")
#: the other pages hear of a run that ended this long after this page shows it (ms): after
#: the plots' fits (one per 20 ms frame)
LIST_AFTER_MS = 80
#: a training process for the next Start is started this long after a run ended (ms)
PREWARM_AFTER_MS = 1500
#: the right-hand tabs, in order
TABS = ("Training curves", "Learning-rate schedule", "Learning-rate finder", "Cross-validation")


class TrainingDashboard(QWidget):
    """Options form on the left; messages, progress, plots and log on the right."""

    #: the run ended and everything is shown (payload: RunRecord, or None if none was saved)
    run_finished = Signal(object)
    #: the user asked to go to another page ("Data", "Design")
    page_requested = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = workspace.session
        self.runner = TrainingRunner(self)
        self.form = TrainingOptionsForm(workspace.options, cuda_available())
        self.message = MessageStrip(min_lines=2)
        self.progress = RunProgress()
        self.plots = TrainingPlots()
        self.log_view = QPlainTextEdit()
        self.start_button = QPushButton("Start training")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.log_scale = QCheckBox("Log-scale loss")
        self.export_button = QToolButton()
        self.schedule = SchedulePreview()
        self.finder = LrFinderPanel(self._finder_request)
        self.kfold_table = KFoldTable()
        self.kfold_check = QCheckBox("Cross-validate with")
        self.kfold_count = QSpinBox()
        self.tabs = QTabWidget()
        self._kfold: int | None = None  # folds of the cross-validation in progress
        self._kfold_message: tuple[str, Kind] | None = None  # how it ended, for `finished`
        self._failure: str | None = None
        self._resumable: RunRecord | None = None
        self._continuing: History | None = None  # the resumed run's history, until it starts
        self._phase_epoch: int | None = None  # fine-tune recipe: the last head-only epoch
        #: the run that ended, until the other pages are told (`_list_run`); True: a series
        self._listing: tuple[RunRecord | None, bool] | None = None
        self._list_timer = QTimer(self, singleShot=True, interval=LIST_AFTER_MS)
        self._list_timer.timeout.connect(self._list_now)
        #: the message of a run that started, until its view is reset (`_show_new_run`)
        self._new_run: str | None = None
        self._new_run_timer = QTimer(self, singleShot=True, interval=LIST_AFTER_MS // 4)
        self._new_run_timer.timeout.connect(self._show_new_run)
        self._prewarm_timer = QTimer(self, singleShot=True, interval=PREWARM_AFTER_MS)
        self._prewarm_timer.timeout.connect(self._prewarm_if_shown)
        self._build()
        self._connect()
        self._set_running(False)

    # ----- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.start_button.setToolTip("Train a copy of the current design with these options; "
                                     "the design stays locked for editing until the run ends.")
        self.stop_button.setToolTip("Stop after the current batch. The run is saved with the "
                                    "best weights so far and evaluated.")
        self.start_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.resume_button)
        self.resume_button.setToolTip("Continue the last stopped run from its checkpoint, with "
                                      "these options (raise Epochs to train longer).")
        self.resume_button.setEnabled(False)
        self.kfold_check.setToolTip(
            "Train K runs instead of one: the training and validation images are dealt into K "
            "folds (by class) and each run validates on a different fold. The table shows the "
            "mean ± standard deviation of every metric; Compare shows each fold's curves.")
        self.kfold_count.setRange(2, MAX_FOLDS)
        self.kfold_count.setValue(5)
        self.kfold_count.setSuffix(" folds")
        self.kfold_count.setToolTip(self.kfold_check.toolTip())
        self.kfold_count.setEnabled(False)
        folds = QHBoxLayout()
        folds.addWidget(self.kfold_check)
        folds.addWidget(self.kfold_count)
        folds.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(self.finder.find_button)
        left_layout.addLayout(folds)
        left_layout.addLayout(buttons)
        left.setFixedWidth(360)  # wide enough for every label and choice of the form
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setFont(QFont("monospace", 9))
        self.log_view.setPlaceholderText("The run log (device, feature cache, decisions, "
                                         "warnings) appears here.")
        for tab, title in zip((self._plot_area(), self.schedule, self.finder, self.kfold_table),
                              TABS, strict=True):
            self.tabs.addTab(tab, title)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.log_view)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 110])
        right = QVBoxLayout()
        right.addWidget(self.message)
        right.addWidget(self.progress)
        right.addWidget(splitter, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(right, 1)

    def _plot_area(self) -> QWidget:
        self.log_scale.setToolTip("Show the loss on a logarithmic axis (losses that span decades).")
        self.export_button.setText("Export plot…")
        self.export_button.setToolTip("Save one of the plots as a PNG or SVG file.")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for name, title in PLOT_TITLES.items():
            action = menu.addAction(title.replace(" (%)", ""))
            action.setData(name)
        menu.triggered.connect(lambda action: self.export_plot(str(action.data())))
        self.export_button.setMenu(menu)
        bar = QHBoxLayout()
        bar.addWidget(self.log_scale)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        area = QWidget()
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plots, 1)
        return area

    def _connect(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.log_scale.toggled.connect(self.plots.set_loss_log_scale)
        self.form.options_edited.connect(self.workspace.set_options)
        self.form.options_edited.connect(self.schedule.set_options)
        self.workspace.data_changed.connect(self._on_data_changed)
        self.finder.find_button.clicked.connect(lambda: self.show_tab("Learning-rate finder"))
        self.finder.lr_chosen.connect(lambda lr: self.form.set_value("lr", lr))
        self.finder.running_changed.connect(lambda _running: self._set_running(
            self.runner.running))
        self.kfold_check.toggled.connect(self._on_kfold_toggled)
        self.kfold_count.valueChanged.connect(lambda _k: self._on_kfold_toggled(
            self.kfold_check.isChecked()))
        self.workspace.options_changed.connect(self._on_workspace_options)
        self.workspace.run_selected.connect(self._on_run_selected)
        runner = self.runner
        runner.started.connect(self._on_started)
        runner.iterations.connect(self._on_iterations)
        runner.validation.connect(self.plots.add_validation)
        runner.epoch.connect(self._on_epoch)
        runner.cache_progress.connect(self.progress.on_cache_progress)
        runner.log.connect(self._on_log)
        runner.engine_finished.connect(self.progress.on_engine_finished)
        runner.failed.connect(self._on_failed)
        runner.fold_started.connect(self._on_fold_started)
        runner.kfold_finished.connect(self._on_kfold_finished)
        runner.finished.connect(self._on_finished)
        self.workspace.runs_changed.connect(self._show_last_kfold)
        self.schedule.set_options(self.form.current)
        self._on_data_changed(self.workspace.data)
        self._show_last_kfold()

    def showEvent(self, event: QShowEvent) -> None:
        """Have the data the Data page shows prepared, and a training process started (when
        the app enabled warm starts), by the time Start is pressed."""
        super().showEvent(event)
        self.workspace.want_data()
        if not self.runner.running:
            self.runner.prewarm()

    # ----- actions -----------------------------------------------------------------------
    def start(self) -> bool:
        """Check, then train a snapshot of the current design on the workspace's data; True if
        it started. The run trains the design as it is now: later edits do not reach it."""
        if self.runner.running:
            return False
        design, data = self.session.design, self.workspace.data
        snapshot = design.snapshot() if design is not None else None  # what this run trains
        problem = start_problem(snapshot, data)
        if problem is not None and problem.fix == "open_data" and self.workspace.want_data():
            self.message.show_message(
                "The images chosen on the Data page are being prepared; press Start again "
                "when they are ready.", "info",
                ("Open the Data page", lambda: self.page_requested.emit("Data")))
            return False
        if problem is not None:
            self._show_problem(problem)
            return False
        try:
            options = self.form.options()
        except OptionsError as error:
            self.message.show_message(str(error), "error")
            return False
        assert snapshot is not None and data is not None
        if self.kfold_check.isChecked():
            k = self.kfold_count.value()
            self._launch(KFoldRequest(snapshot, data, options, self.workspace.runs_root, k),
                         f"Cross-validation: {k} runs, one per fold.")
            self._kfold = k
            return True
        self._launch(RunRequest(snapshot, data, options, self.workspace.runs_root),
                     f"Training {snapshot.info.model_name}. {STOP_HINT}")
        return True

    def resume(self) -> bool:
        """Continue the last stopped run from its checkpoint; True if it started."""
        run = self._resumable
        data = self.workspace.data
        if self.runner.running or run is None or data is None or self.session.design is None:
            return False
        try:
            options = self.form.options()
        except OptionsError as error:
            self.message.show_message(str(error), "error")
            return False
        self._launch(RunRequest(self.session.design.snapshot(), data, options,
                                self.workspace.runs_root, resume_dir=run.run_dir),
                     f"Resuming {run.name}. {STOP_HINT}")
        self._continuing = run.history  # its curves continue from where it resumes
        return True

    def _launch(self, request: RunRequest | KFoldRequest, message: str) -> None:
        """Lock the design, hand the run to the worker thread, and a frame later reset the
        view under `message` (the click's own repaint, the greyed form, and the cleared plots
        under a new message were one long frame)."""
        self._list_now()  # the previous run is listed first, if that is still to come
        self._prewarm_timer.stop()  # this run takes the spare, or starts its own process
        self._continuing = None
        self._kfold = None
        self.show_tab("Training curves")
        self._phase_epoch = _phase_epoch(request.options)
        self.workspace.set_options(request.options)
        self.session.set_locked(True)
        self._set_running(True)
        self.runner.start(request)
        self._new_run = message
        self._new_run_timer.start()

    def _show_new_run(self) -> None:
        """The view of a run that has just started: no old curves, log or outcome, its message
        (`_launch`). At once if that is still to come when the run already reports its end."""
        self._new_run_timer.stop()
        if self._new_run is not None:
            message, self._new_run = self._new_run, None
            self._reset_view()
            self.message.show_message(message, "info")

    def stop(self) -> None:
        """Ask the run to stop after the current batch (it is saved and evaluated)."""
        if self.runner.running:
            self.runner.stop()
            self.stop_button.setEnabled(False)
            self.progress.bar.setFormat("Stopping after this batch…")

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop and join the training and learning-rate finder threads (window closing); True
        if training ended. The run that ended is listed before this returns."""
        self.finder.shutdown()
        self._prewarm_timer.stop()
        ended = self.runner.shutdown(timeout_ms)
        self._list_now()
        return ended

    def show_tab(self, title: str) -> None:
        """Bring one of the right-hand tabs (TABS) to the front."""
        self.tabs.setCurrentIndex(TABS.index(title))

    def export_plot(self, name: str) -> None:
        """Ask for a file and save plot `name` ("loss", "accuracy", "lr") there."""
        self.plots.refresh()
        path = export.choose_export_path(self, f"{name}.png")
        if path is None:
            return
        try:
            written = export.export_plot(self.plots.plots[name], path)
        except export.PlotExportError as error:
            self.message.show_message(str(error), "error")
            return
        self.message.show_message(f"Saved the {name} plot to {written}.", "success")

    # ----- runner events -----------------------------------------------------------------
    def _on_started(self, event: StartEvent) -> None:
        self._show_new_run()
        self.progress.on_start(event)
        if self._continuing is not None and event.start_iteration:
            self.plots.load_history(self._continuing.up_to(event.start_iteration))
        self._continuing = None
        self.plots.start_run(event.total_iterations)

    def _on_epoch(self, event: EpochEvent) -> None:
        self.plots.mark_epoch(event.iteration)
        if event.epoch == self._phase_epoch:
            self.plots.mark_phase(event.iteration, PHASE_TEXT)

    def _on_iterations(self, events: list[IterationEvent]) -> None:
        self.plots.add_iterations(events)
        self.progress.on_iteration(events[-1])

    def _on_log(self, event: LogEvent) -> None:
        self._show_new_run()
        prefix = {"warning": "⚠ ", "error": "✖ "}.get(event.level, "")
        self.log_view.appendPlainText(prefix + event.message)

    def _on_failed(self, message: str) -> None:
        self._show_new_run()
        self._failure = message
        self._on_log(LogEvent(message, "error"))

    def _on_fold_started(self, event: FoldStarted) -> None:
        """A new fold: its own curves. The runs list is re-read only when the series ends:
        reading a run folder tidies leftovers of interrupted writes, which would race with the
        worker writing the next fold's first files (their temporary names look the same)."""
        if event.fold > 1:
            self.plots.finish_run()
        self.plots.clear()
        self.progress.prefix = f"Fold {event.fold} of {event.k}   ·   "
        self.progress.preparing()
        self._on_log(LogEvent(f"— fold {event.fold} of {event.k}: {event.name} —"))
        self.message.show_message(f"Cross-validation: training fold {event.fold} of {event.k} "
                                  f"({event.name}).", "info")

    def _on_kfold_finished(self, summary: KFoldSummary) -> None:
        self.kfold_table.show_summary(summary)
        self.show_tab("Cross-validation")
        done = len(summary.completed)
        spread = summary.metrics.get("final_val_acc")
        accuracy = (f" Validation accuracy {spread_text('final_val_acc', spread.mean, spread.std)}."
                    if spread is not None else "")
        if summary.complete:
            self._kfold_message = (f"Cross-validation finished: {done} of {summary.k} folds."
                                   f"{accuracy} Compare shows each fold's curves.", "success")
        else:
            self._kfold_message = (f"Cross-validation stopped after {len(summary.folds)} of "
                                   f"{summary.k} folds; the table covers the {done} completed."
                                   + accuracy, "info")

    def _on_finished(self, run: RunRecord | None, event: FinishedEvent | None) -> None:
        """Show how the run ended on this page now (the plots fit one per frame); the other
        pages hear of the run `LIST_AFTER_MS` later (`_list_run`, then `run_finished`), so
        their updates and this page's repaint do not add up to one long stall (60-110 ms at
        once, bench/ui_latency.py)."""
        self._show_new_run()
        self.plots.finish_run()
        self.session.set_locked(False)
        self._set_running(False)
        if self._kfold is not None:
            self._kfold = None
            self.progress.prefix = ""
            self._resumable = None
            self.resume_button.setEnabled(False)
            said, self._kfold_message = self._kfold_message, None
            text, kind = said if said is not None else finish_text(None, event, self._failure)
            self.message.show_message(self._failure or text, "error" if self._failure else kind)
            self.progress.on_done("Cross-validation ended", event.iterations if event else 0)
            self._listing = (None, True)
        else:
            stopped = run is not None and run.resumable
            self._resumable = run if stopped else None
            self.resume_button.setEnabled(stopped)
            text, kind = finish_text(run, event, self._failure)
            self.message.show_message(text, kind)
            headline = HEADLINES.get(event.reason, event.reason) if event is not None else "Failed"
            self.progress.on_done(headline, event.iterations if event is not None else 0)
            self._listing = (run, False)
        self._list_timer.start()

    def _list_now(self) -> None:
        """List the run that ended now, if that is still to come (a new run starts, the window
        closes)."""
        self._list_timer.stop()
        if self._listing is not None:
            listing, self._listing = self._listing, None
            self._list_run(*listing)

    def _list_run(self, run: RunRecord | None, series: bool) -> None:
        """List the run that ended on every page (or re-read the runs after a cross-validation),
        then say the run is over (`run_finished`)."""
        if series:
            self.workspace.reload_runs()
        elif run is not None:
            self.workspace.add_run(run)
        self._prepare_next()
        self.run_finished.emit(run)

    # ----- helpers -----------------------------------------------------------------------
    def _prepare_next(self) -> None:
        """A training process for the next Start, while this page is shown (warm starts),
        once the window has settled: the new process loads torch at full speed for seconds,
        which would slow the pages updating for the run that just ended."""
        self._prewarm_timer.start()

    def _prewarm_if_shown(self) -> None:
        if self.isVisible() and not self.runner.running:
            self.runner.prewarm()

    def _show_problem(self, problem: StartProblem) -> None:
        actions = {"open_data": ("Open the Data page", lambda: self.page_requested.emit("Data")),
                   "open_model": ("Open a model", lambda: self.page_requested.emit("Design")),
                   "replace_head": ("Replace final layers", self._replace_head)}
        self.message.show_message(problem.message, "error", actions[problem.fix])

    def _replace_head(self) -> None:
        actions = design_actions(self.session, self.workspace)
        if actions.fit_head_to_data() is not None:  # None: refused, the session said why
            self.message.show_message(f"Replaced the final layers for "
                                      f"{len(actions.data_classes())} classes. "
                                      "Press Start to train.", "success")

    def _reset_view(self) -> None:
        self._failure = None
        self.message.clear()
        self.plots.clear()
        self.log_view.clear()
        self.progress.preparing()

    def _set_running(self, running: bool) -> None:
        finding = self.finder.running
        self.start_button.setEnabled(not running and not finding)
        if running:
            self.resume_button.setEnabled(False)
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running and not finding)
        self.finder.find_button.setEnabled(not running and not finding)
        self.kfold_check.setEnabled(not running)
        self.kfold_count.setEnabled(not running and self.kfold_check.isChecked())

    def _show_last_kfold(self) -> None:
        """The project's latest cross-validation in its tab (a reopened project shows it)."""
        if self._kfold is None:
            saved = load_summaries(self.workspace.runs_root)
            self.kfold_table.show_summary(saved[-1] if saved else None)

    def _on_kfold_toggled(self, on: bool) -> None:
        self.kfold_count.setEnabled(on and not self.runner.running)
        k = self.kfold_count.value()
        self.start_button.setText(f"Start cross-validation ({k} runs)" if on else "Start training")

    def _on_data_changed(self, data: PreparedData | None) -> None:
        train = data.datasets.get("train") if data is not None else None
        self.schedule.set_train_images(len(train) if train is not None else None)

    def _finder_request(self) -> tuple[FrozenDesign, PreparedData, TrainingOptions] | str:
        """What the learning-rate finder tests now, or why it cannot run."""
        if self.runner.running:
            return "Training is running; find a learning rate before starting or after it ends."
        design, data = self.session.design, self.workspace.data
        snapshot = design.snapshot() if design is not None else None
        problem = start_problem(snapshot, data)
        if problem is not None and problem.fix == "open_data" and self.workspace.want_data():
            return ("The images chosen on the Data page are being prepared; try again when they "
                    "are ready.")
        if problem is not None:
            return problem.message
        try:
            options = self.form.options()
        except OptionsError as error:
            return str(error)
        assert snapshot is not None and data is not None
        return snapshot, data, options

    def _on_workspace_options(self, options: TrainingOptions) -> None:
        if options != self.form.current:
            self.form.set_options(options)

    def _on_run_selected(self, run: RunRecord) -> None:
        """Show an earlier run's curves while nothing trains; a stopped or interrupted run can
        be resumed from its last checkpoint."""
        if self.runner.running:
            return
        self._resumable = run if run.resumable else None
        self.resume_button.setEnabled(run.resumable)
        if not (run.history.iterations or run.history.validations):
            return
        self.plots.load_history(run.history, _phase_epoch(run.options))
        self.progress.reset(f"Showing {run.name}")


def _phase_epoch(options: TrainingOptions | None) -> int | None:
    """The last head-only epoch of a fine-tune run (None for other recipes)."""
    if options is None or options.recipe != "finetune":
        return None
    return options.head_epochs
