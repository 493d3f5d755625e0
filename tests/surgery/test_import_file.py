"""Opening the user's own model files: .pt2, Python class (with consent), ONNX, TorchScript,
mismatched weights — each with its import report, on tiny models the test makes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

import designer
from designer.core.trust import ConsentNeeded, TrustStore
from designer.surgery.import_file import ImportFileError, file_kind

NET_SOURCE = textwrap.dedent('''
    import torch
    from torch import nn

    RAN = []


    class TinyNet(nn.Module):
        def __init__(self, classes=4):
            super().__init__()
            RAN.append(1)
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.relu = nn.ReLU()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.relu(self.conv2(x)) + torch.clamp(
                torch.nn.functional.leaky_relu(self.conv2(x), 0.1), -1, 1)
            return self.fc(torch.flatten(self.pool(x), 1))


    def make_net():
        return TinyNet(classes=3)
''')


def tiny_net(classes: int = 4) -> nn.Module:
    scope: dict[str, object] = {}
    exec(NET_SOURCE, scope)  # the same class the Python-file tests import
    net = scope["TinyNet"](classes)  # type: ignore[operator]
    with torch.no_grad():  # non-trivial BatchNorm statistics, so a lost buffer shows
        net.bn1.running_mean.uniform_(-0.5, 0.5)
        net.bn1.running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.fixture
def store(tmp_path: Path) -> TrustStore:
    return TrustStore(tmp_path / "config" / "trusted-code.json")


def test_pt2_opens_as_library_layers_with_a_report(tmp_path: Path, store: TrustStore) -> None:
    net = tiny_net()
    x = torch.randn(1, 3, 32, 32)
    path = tmp_path / "tiny.pt2"
    torch.export.save(torch.export.export(net, (x,)), path)
    assert file_kind(path) == "pt2"

    result = designer.open_file(path, trust_store=store)

    report, design = result.report, result.design
    assert design is not None and report.editable and report.kind == "torch.export archive"
    kinds = {ly.kind for ly in design.network}
    assert {"Conv2d", "BatchNorm2d", "ReLU", "Linear", "AdaptiveAvgPool2d"} <= kinds
    assert report.opaque == ("clamp (aten.clamp.default)",)
    assert dict(report.mapped)["leaky_relu.default -> LeakyReLU"] == 1
    assert dict(report.mapped)["conv2d.default -> Conv2d"] == 3  # conv2 is called twice
    assert report.check is not None and report.check.passed
    assert report.check.input_shape == (1, 3, 32, 32) and report.check.max_abs_diff < 1e-5
    # the source's names survive, so its checkpoints load into the design
    assert set(net.state_dict()) <= set(design.state_dict())
    with torch.no_grad():
        assert torch.allclose(design.build()(x), net(x), atol=1e-5)
    assert "the archive was read without running any code" in report.text()
    assert not store.path.exists()  # nothing to consent to
    text = report.text()
    assert text.startswith("IMPORT REPORT — torch.export archive") and "Opaque nodes: 1" in text


def test_pt2_that_would_unpickle_needs_consent(tmp_path: Path, store: TrustStore) -> None:
    from designer.surgery import pt2_safety

    path = tmp_path / "tiny.pt2"
    torch.export.save(torch.export.export(tiny_net(), (torch.randn(1, 3, 16, 16),)), path)
    _rewrite_member(path, "sample_inputs/", _pickled_object())
    assert pt2_safety.code_risks(path) == ["its sample inputs are pickled Python objects"]
    with pytest.raises(ConsentNeeded, match="would run code stored in it"):
        designer.open_file(path, trust_store=store)


def _pickled_object() -> bytes:
    import io

    buffer = io.BytesIO()
    torch.save(((torch.zeros(1), Path("x")), {}), buffer)  # a Path is not a tensor
    return buffer.getvalue()


def _rewrite_member(path: Path, fragment: str, data: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, content in members:
            archive.writestr(info, data if fragment in info.filename else content)


def test_python_file_runs_only_with_consent_remembered_by_hash(tmp_path: Path,
                                                               store: TrustStore) -> None:
    path = tmp_path / "mynet.py"
    path.write_text(NET_SOURCE + "\nopen(__file__ + '.ran', 'w').close()\n")
    marker = Path(f"{path}.ran")

    with pytest.raises(ConsentNeeded, match="runs the Python code in it") as asked:
        designer.open_file(path, name="TinyNet", trust_store=store)
    assert not asked.value.declined and not marker.exists()  # nothing ran without consent
    with pytest.raises(ConsentNeeded) as declined:
        designer.open_file(path, name="TinyNet", trust=False, trust_store=store)
    assert declined.value.declined and not marker.exists()
    with pytest.raises(ConsentNeeded):  # the "no" is remembered
        designer.open_file(path, name="TinyNet", trust_store=store)

    result = designer.open_file(path, name="TinyNet", trust=True, trust_store=store,
                                input_size=48)
    assert marker.exists()
    report, design = result.report, result.design
    assert design is not None and report.kind == "Python file" and report.opaque == ()
    assert report.check is not None and report.check.max_abs_diff < 1e-5
    assert report.check.input_shape == (1, 3, 48, 48)
    assert report.parameters == sum(p.numel() for p in tiny_net().parameters())
    marker.unlink()
    again = designer.open_file(path, name="make_net", trust_store=store)  # remembered "yes"
    assert again.design is not None and again.design.num_classes == 3

    path.write_text(path.read_text() + "\n# edited\n")  # another file now: asked again
    with pytest.raises(ConsentNeeded):
        designer.open_file(path, name="TinyNet", trust_store=store)


def test_python_file_names_its_models_when_the_name_is_wrong(tmp_path: Path,
                                                             store: TrustStore) -> None:
    path = tmp_path / "mynet.py"
    path.write_text(NET_SOURCE)
    with pytest.raises(ImportFileError, match="its models are: TinyNet"):
        designer.open_file(path, name="Resnet", trust=True, trust_store=store)
    with pytest.raises(ImportFileError, match="Say which class"):
        designer.open_file(path, trust=True, trust_store=store)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the legacy exporter: fast, small
def test_onnx_is_experimental_and_checked_against_onnxruntime(tmp_path: Path,
                                                             store: TrustStore) -> None:
    net = tiny_net()
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(net, (torch.randn(1, 3, 32, 32),), str(path), dynamo=False, opset_version=13,
                      input_names=["image"])
    result = designer.open_file(path, trust_store=store)
    report = result.report
    assert result.design is not None and report.experimental and report.kind == "ONNX model"
    assert "(experimental)" in report.text()
    assert report.check is not None and report.check.against.startswith("onnxruntime")
    assert report.check.max_abs_diff < 1e-4
    assert {"Conv2d", "Linear"} <= {ly.kind for ly in result.design.network}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit is deprecated
def test_torchscript_is_explained_and_not_loaded_without_consent(tmp_path: Path,
                                                                 store: TrustStore) -> None:
    path = tmp_path / "tiny.ts"
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())), str(path))
    assert file_kind(path) == "torchscript"
    result = designer.open_file(path, trust_store=store)
    assert result.design is None and not result.report.editable
    assert "module" not in result.extras  # not loaded
    assert any("cannot show or edit" in note for note in result.report.notes)
    assert any("--trust-code" in action for action in result.report.actions)
    trusted = designer.open_file(path, trust=True, trust_store=store)
    assert set(trusted.extras["state_dict"]) == {"0.weight", "0.bias"}  # type: ignore[arg-type]
    assert trusted.report.parameters == 4 * 3 * 9 + 4


def test_mismatched_weights_report_and_matching_part(tmp_path: Path) -> None:
    from torchvision.models import mobilenet_v3_small

    source = mobilenet_v3_small(num_classes=10)  # same backbone, another head
    state = source.state_dict()
    state["extra.scale"] = torch.ones(1)
    path = tmp_path / "ten_classes.pt"
    torch.save(state, path)

    result = designer.open_file(path, model="mobilenet_v3_small", input_size=64)
    weights = result.extras["weights"]
    assert result.design is None and not weights.fits  # type: ignore[attr-defined]
    assert weights.mismatched == (("classifier.3.weight", (10, 1024), (1000, 1024)),  # type: ignore[attr-defined]
                                  ("classifier.3.bias", (10,), (1000,)))
    assert weights.unexpected == ("extra.scale",) and weights.missing == ()  # type: ignore[attr-defined]
    assert len(weights.matched) == len(state) - 3  # type: ignore[attr-defined]
    assert "--load-matching" in result.report.text()

    loaded = designer.open_file(path, model="mobilenet_v3_small", input_size=64,
                                load_matching=True)
    assert loaded.design is not None and loaded.report.check is not None
    assert loaded.report.check.passed
    built = loaded.design.build().state_dict()
    assert torch.equal(built["features.0.0.weight"], state["features.0.0.weight"])
    assert built["classifier.3.weight"].shape == (1000, 1024)  # kept the model's own head
    safetensors_path = tmp_path / "ten.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, safetensors_path)
    again = designer.open_file(safetensors_path, model="mobilenet_v3_small", input_size=64)
    assert len(again.extras["weights"].mismatched) == 2  # type: ignore[attr-defined]


def test_open_file_validates_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="does not exist"):
        designer.open_file(tmp_path / "nothing.pt2")
    path = tmp_path / "x.py"
    path.write_text("")
    with pytest.raises(ImportFileError, match="input_size"):
        designer.open_file(path, name="Net", input_size=3)
    with pytest.raises(ImportFileError, match="name must be"):
        designer.open_file(path, name="os.system")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello world")
    with pytest.raises(ImportFileError, match="not a model file"):
        designer.open_file(junk)


def test_pt2_shape_expressions_that_python_would_run_are_flagged() -> None:
    from designer.surgery.pt2_safety import _plain_expression

    assert _plain_expression("s0*2 + Mod(s1, 4)") and _plain_expression("FloorDiv(s0, 2) <= 7")
    for code in ("__import__('os').system('x')", "breakpoint()", "exit()",
                 "Symbol.__init__", "Max.mro()", "open(s0)"):
        assert not _plain_expression(code), code


def test_consent_is_stored_in_the_config_folder_not_the_project(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    path = tmp_path / "project" / "net.py"
    path.parent.mkdir()
    path.write_text(NET_SOURCE)
    designer.open_file(path, name="TinyNet", trust=True, input_size=16)
    stored = tmp_path / "cfg" / "netdesigner" / "trusted-code.json"
    assert stored.is_file() and list(path.parent.iterdir()) == [path]
    import hashlib
    import json

    entry = json.loads(stored.read_text())[hashlib.sha256(path.read_bytes()).hexdigest()]
    assert entry["trusted"] is True and entry["path"] == str(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_onnx_with_shared_weights_written_as_identity_nodes(tmp_path: Path,
                                                            store: TrustStore) -> None:
    import onnx

    net = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)).eval()
    path = tmp_path / "shared.onnx"
    torch.onnx.export(net, (torch.randn(1, 3, 24, 24),), str(path), dynamo=False,
                      opset_version=13)
    # the exporter folds BatchNorm into the convs; their equal biases become one initializer
    assert "Identity" in {n.op_type for n in onnx.load(str(path)).graph.node}
    result = designer.open_file(path, trust_store=store)
    assert result.report.check is not None and result.report.check.max_abs_diff < 1e-5
    assert result.report.opaque == ()
