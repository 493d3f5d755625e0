"""A run's temperature: fitted on its validation images, saved with it, used by predict,
evaluate and every export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from designer.cli import main
from designer.data import build_transforms, load_rgb
from designer.evaluation import predict_each
from designer.export import load_exported
from designer.project.export_source import ExportSource
from designer.project.run_model import run_design
from designer.project.runs import RunRecord
from designer.training.run_dir import CALIBRATION


@pytest.fixture
def calibrated_run(trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    run = Path(shutil.copytree(trained_run, tmp_path / trained_run.name))
    assert main(["calibrate", str(run), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["images"] > 0 and record["nll_after"] <= record["nll_before"] + 1e-9
    return run


def test_predict_uses_the_saved_temperature(calibrated_run: Path, image_folder: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run = RunRecord.load(calibrated_run)
    assert run.calibration is not None and run.temperature == run.calibration.temperature
    assert run.temperature != pytest.approx(1.0)
    image = next(image_folder.glob("*/*.png"))
    assert main(["predict", str(calibrated_run), str(image), "--top", "2", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)[0]["top"]
    design = run_design(calibrated_run)
    transform = build_transforms(design.info.preprocessing, None, train=False,
                                 image_size=run.image_size)
    x = transform(load_rgb(image))
    with torch.no_grad():
        logits = design.build()(x.unsqueeze(0))[0]
    expected = torch.softmax(logits / run.temperature, 0).sort(descending=True).values[:2]
    assert [p for _c, p in shown] == pytest.approx(expected.tolist(), abs=1e-4)
    plain = torch.softmax(logits, 0).max()
    assert shown[0][1] != pytest.approx(float(plain), abs=1e-3), "not the uncalibrated answer"
    # the library call gives the same when handed the temperature
    same = predict_each(design.build(), [str(image)], transform, list(design.info.class_names),
                        2, temperature=run.temperature)[0].top
    assert [p for _c, p in same] == pytest.approx([p for _c, p in shown], abs=1e-4)
    # --clear goes back to the model's own probabilities
    assert main(["calibrate", str(calibrated_run), "--clear"]) == 0
    assert not (calibrated_run / CALIBRATION).exists()
    assert RunRecord.load(calibrated_run).temperature == 1.0


@pytest.mark.parametrize("fmt", ["torchscript", "safetensors", "onnx", "openvino"])
def test_exports_carry_the_temperature(calibrated_run: Path, tmp_path: Path, fmt: str) -> None:
    source = ExportSource.from_run(calibrated_run)
    t = RunRecord.load(calibrated_run).temperature
    assert source.temperature == t
    report = source.export(fmt, tmp_path / "out")
    loaded = load_exported(report.paths[0], model=source.design.build())
    x = torch.randn(2, 3, source.input_size, source.input_size)
    with torch.no_grad():
        logits = source.design.build()(x)
    out = loaded(x)[0]
    if fmt == "safetensors":  # weights only: the reader applies what the metadata says
        assert loaded.calibration == {"temperature": t, "in_outputs": False}
        assert torch.allclose(out, logits, atol=1e-4)
    else:  # the file's outputs are already divided: softmax of them is calibrated
        assert loaded.calibration == {"temperature": t, "in_outputs": True}
        assert torch.allclose(out, logits / t, atol=1e-4)


@pytest.mark.parametrize("tta", ["flip", "crops"])
def test_predict_and_evaluate_with_tta(trained_run: Path, image_folder: Path, tta: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    image = next(image_folder.glob("*/*.png"))
    assert main(["predict", str(trained_run), str(image), "--json", "--tta", tta]) == 0
    top = json.loads(capsys.readouterr().out)[0]["top"]
    assert 0 < sum(p for _c, p in top) <= 1.0001
    assert main(["evaluate", str(trained_run), "--data", str(image_folder), "--json",
                 "--tta", tta]) == 0
    assert 0.0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1.0


def test_evaluation_json_holds_the_calibrated_confidences(calibrated_run: Path,
                                                          trained_run: Path) -> None:
    """What the Evaluate page, top losses and the threshold slider read is what predict gives."""
    plain_record = RunRecord.load(trained_run).evaluation
    run = RunRecord.load(calibrated_run)
    assert plain_record is not None and run.evaluation is not None
    assert plain_record.temperature == 1.0 and run.evaluation.temperature == run.temperature != 1.0
    plain, stored = plain_record.result(), run.evaluation.result()
    design = run_design(calibrated_run)
    model = design.build().eval()
    transform = build_transforms(design.info.preprocessing, None, train=False,
                                 image_size=run.image_size)
    assert stored.predictions
    for p in stored.predictions:
        assert p.path is not None
        with torch.no_grad():
            logits = model(transform(load_rgb(p.path)).unsqueeze(0))[0]
        calibrated = torch.softmax(logits / run.temperature, 0)
        assert p.predicted == int(calibrated.argmax())
        assert p.confidence == pytest.approx(float(calibrated.max()), abs=1e-4)
    assert [p.predicted for p in stored.predictions] == [p.predicted for p in plain.predictions]
    assert stored.accuracy == plain.accuracy, "a temperature never changes a prediction"
    assert [p.confidence for p in stored.predictions] != pytest.approx(
        [p.confidence for p in plain.predictions], abs=1e-3)
    # removing the temperature gives the model's own confidences back
    assert main(["calibrate", str(calibrated_run), "--clear"]) == 0
    cleared = RunRecord.load(calibrated_run).evaluation
    assert cleared is not None and cleared.temperature == 1.0
    assert [p.confidence for p in cleared.result().predictions] == pytest.approx(
        [p.confidence for p in plain.predictions], abs=1e-4)
