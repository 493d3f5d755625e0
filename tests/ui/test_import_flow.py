"""File ▸ Open model file…: the questions (class, consent, architecture), the import running in
the background, and the report dialog, driven with the real session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pytestqt.qtbot import QtBot
from torch import nn

from designer.core.trust import TrustStore, file_sha256
from designer.surgery.import_report import ImportReport
from designer.ui.import_flow import ImportFlow, ImportPrompts, ImportReportDialog, python_names
from designer.ui.session import DesignSession

NET = """
import torch
from torch import nn

open(__file__ + ".ran", "w").close()


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))


def helper():
    return Small()
"""


class Answers(ImportPrompts):
    """Scripted answers; records what the user was asked and shown."""

    def __init__(self, consent: bool = True, matching: bool = False) -> None:
        self.answers = {"consent": consent, "matching": matching}
        self.asked: list[str] = []
        self.reports: list[ImportReport] = []

    def factory_name(self, path: Path, names: list[str]) -> str | None:
        self.asked.append(f"name {names}")
        return names[0]

    def architecture(self, path: Path, names: list[str]) -> str | None:
        self.asked.append("architecture")
        return "mobilenet_v3_small"

    def consent(self, path: Path, question: str) -> bool:
        self.asked.append(f"consent {question}")
        return self.answers["consent"]

    def show_report(self, report: ImportReport, offer_matching: bool) -> bool:
        self.reports.append(report)
        self.asked.append(f"report offer={offer_matching}")
        return offer_matching and self.answers["matching"]


@pytest.fixture
def session(qtbot: QtBot) -> DesignSession:
    return DesignSession()


def _flow(session: DesignSession, answers: Answers, tmp_path: Path) -> ImportFlow:
    return ImportFlow(session, answers, trust_store=TrustStore(tmp_path / "trust.json"))


def test_pt2_opens_in_the_session_and_shows_the_report(qtbot: QtBot, session: DesignSession,
                                                        tmp_path: Path) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 2)).eval()
    path = tmp_path / "seq.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(1, 3, 24, 24),)), path)
    answers = Answers()
    flow = _flow(session, answers, tmp_path)
    with qtbot.waitSignal(flow.finished, timeout=60_000) as done:
        assert flow.start(path)
    report = done.args[0]
    assert session.design is not None and session.design.info.model_name == "seq"
    assert answers.asked == ["report offer=False"]  # no question for a data-only archive
    assert report.check.passed and "Conv2d" in {ly.kind for ly in session.design.network}


def test_python_file_runs_only_after_the_user_agrees(qtbot: QtBot, session: DesignSession,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "small.py"
    path.write_text(NET)
    assert python_names(path) == ["Small", "helper"]  # read with ast, not run
    assert not Path(f"{path}.ran").exists()

    refuse = Answers(consent=False)
    flow = _flow(session, refuse, tmp_path)
    with qtbot.waitSignal(session.open_runner.finished, timeout=60_000):
        flow.start(path)
    assert session.design is None and not Path(f"{path}.ran").exists()
    assert refuse.asked[0] == "name ['Small', 'helper']"
    assert refuse.asked[1].startswith("consent Opening small.py runs the Python code in it")
    assert flow.trust_store.answer(file_sha256(path)) is False  # the "no" is remembered

    agree = Answers(consent=True)
    flow.prompts = agree
    with qtbot.waitSignal(flow.finished, timeout=60_000) as done:
        flow.start(path)
    assert Path(f"{path}.ran").exists() and session.design is not None
    assert done.args[0].kind == "Python file" and done.args[0].check.passed
    assert [a.split(" ")[0] for a in agree.asked] == ["name", "consent", "report"]


def test_mismatched_weights_offer_and_load_the_matching_part(
        qtbot: QtBot, session: DesignSession, tmp_path: Path) -> None:
    from torchvision.models import mobilenet_v3_small

    path = tmp_path / "five.pt"
    torch.save(mobilenet_v3_small(num_classes=5).state_dict(), path)
    answers = Answers(matching=True)
    flow = _flow(session, answers, tmp_path)
    reports: list[ImportReport] = []
    flow.finished.connect(reports.append)
    with qtbot.waitSignal(session.open_finished, timeout=120_000):
        flow.start(path)
    qtbot.waitUntil(lambda: len(reports) == 2, timeout=120_000)
    first, second = reports
    assert not first.editable and first.weights is not None and len(first.weights.mismatched) == 2
    assert answers.asked == ["architecture", "report offer=True", "report offer=False"]
    assert second.editable and session.design is not None
    assert session.design.info.model_name == "mobilenet_v3_small"


def test_report_dialog_shows_the_report_and_the_offer(qtbot: QtBot) -> None:
    report = ImportReport("/tmp/x.pt", "weights file", "3 tensors", False,
                          actions=("Load the 2 matching tensors",))
    dialog = ImportReportDialog(report, offer_matching=True)
    qtbot.addWidget(dialog)
    assert "IMPORT REPORT — weights file" in dialog.text.toPlainText()
    assert dialog.matching_button is not None
    dialog.matching_button.click()
    assert dialog.load_matching
