"""Regenerate designer/surgery/allowed_ops.py from what traced models really use.

A design file may only name the tensor operations that tracing a zoo model can produce; this
script is the evidence. It builds every torchvision classifier and a representative set of
timm architectures on the meta device (no weights, no download, little memory), traces each
with NetDesigner's own tracer and collects

* every ``call_function`` target, named as the document names it (``module:qualname``),
* every ``call_method`` target (a Tensor method name),
* every attribute name read through ``getattr(x, "name")``,

then writes them as sorted tuples into ``designer/surgery/allowed_ops.py``.

Usage (from the repository root, with the project's venv)::

    python scripts/gen_allowed_ops.py            # print what would change
    python scripts/gen_allowed_ops.py --write    # rewrite designer/surgery/allowed_ops.py
"""

from __future__ import annotations

import argparse
import builtins
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import fx, nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer.surgery.encoding import qualified_name  # noqa: E402
from designer.surgery.tracer import trace_graph  # noqa: E402

#: timm architectures covering its families (CNNs, mobile nets, ViTs, hybrids, MLPs).
TIMM_MODELS = (
    "tf_efficientnet_lite0", "efficientnet_b0", "mobilenetv3_large_100", "mobilenetv4_conv_small",
    "resnet50", "resnet50d", "seresnext26d_32x4d", "regnety_002", "densenet121", "ghostnet_100",
    "rexnet_100", "convnext_atto", "convnextv2_atto", "vit_tiny_patch16_224",
    "deit_tiny_distilled_patch16_224", "swin_tiny_patch4_window7_224",
    "swinv2_cr_tiny_ns_224", "beit_base_patch16_224", "eva02_tiny_patch14_224.mim_in22k",
    "mixer_b16_224", "resmlp_12_224", "levit_128", "efficientformer_l1", "efficientvit_b0",
    "mobilevit_xxs", "edgenext_xx_small", "poolformer_s12", "fastvit_t8", "repvit_m1",
    "coat_lite_tiny", "maxvit_tiny_tf_224", "cait_xxs24_224", "xcit_nano_12_p16_224",
    "tiny_vit_5m_224", "hgnetv2_b0", "inception_v3", "dla34", "dpn68", "hrnet_w18_small",
)

#: Attribute names that make sense on a tensor even if no traced model happened to read them.
EXTRA_ATTRIBUTES = ("shape", "dtype", "device", "ndim", "T", "mT", "is_cuda", "requires_grad")


def _torchvision_builders() -> list[tuple[str, Callable[[], nn.Module]]]:
    import torchvision

    names = torchvision.models.list_models(module=torchvision.models)
    return [(f"torchvision/{n}", lambda n=n: torchvision.models.get_model(n, weights=None))
            for n in names]


def _timm_builders() -> list[tuple[str, Callable[[], nn.Module]]]:
    """TIMM_MODELS plus the smallest architecture of every timm family the zoo lists."""
    import timm

    from designer.zoo.timm_zoo import family_representatives

    names = dict.fromkeys([*TIMM_MODELS, *family_representatives().values()])
    return [(f"timm/{n}", lambda n=n: timm.create_model(n, pretrained=False)) for n in names]


def _build(build: Callable[[], nn.Module]) -> nn.Module:
    """On the meta device when the constructor allows it (regnets copy data: build those)."""
    try:
        with torch.device("meta"):
            return build()
    except NotImplementedError:
        return build()


def collect(graph: fx.Graph, functions: set[str], methods: set[str], attributes: set[str],
            unnamed: set[str]) -> None:
    """Add the graph's function names, method names and getattr attribute names to the sets."""
    for node in graph.nodes:
        if node.op == "call_function":
            name = qualified_name(node.target)
            if name is None:
                unnamed.add(repr(node.target))
                continue
            functions.add(name)
            if node.target is builtins.getattr and len(node.args) >= 2:
                attributes.add(str(node.args[1]))
        elif node.op == "call_method":
            methods.add(str(node.target))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite allowed_ops.py")
    args = parser.parse_args()
    functions: set[str] = set()
    methods: set[str] = {"reshape"}  # trace.py rewrites reshaped buffer constants as .reshape
    attributes: set[str] = set(EXTRA_ATTRIBUTES)
    unnamed: set[str] = set()
    traced, failed = [], []
    start = time.perf_counter()
    for label, build in _torchvision_builders() + _timm_builders():
        try:
            model = _build(build)
            collect(trace_graph(model), functions, methods, attributes, unnamed)
            traced.append(label)
        except Exception as error:  # noqa: BLE001 - report and go on: evidence, not a test
            failed.append(f"{label}: {type(error).__name__}: {str(error)[:120]}")
    say = sys.stderr.write
    say(f"traced {len(traced)} models in {time.perf_counter() - start:.0f} s; "
        f"{len(failed)} failed\n")
    for line in failed:
        say(f"  not traced: {line}\n")
    for item in sorted(unnamed):
        say(f"  no importable name (cannot be stored in a file): {item}\n")
    source = render(sorted(functions), sorted(methods), sorted(attributes), traced)
    target = ROOT / "designer" / "surgery" / "allowed_ops.py"
    if args.write:
        target.write_text(source, encoding="utf-8")
        say(f"wrote {target}\n")
    else:
        sys.stdout.write(source)
    return 0


def _tuple(name: str, items: list[str], doc: str) -> str:
    body = "".join(f"    {item!r},\n" for item in items)
    return f"#: {doc}\n{name}: frozenset[str] = frozenset((\n{body}))\n"


def render(functions: list[str], methods: list[str], attributes: list[str],
           traced: list[str]) -> str:
    """Source text of allowed_ops.py."""
    families = sorted({t.split("/")[0] for t in traced})
    counts = ", ".join(f"{sum(t.startswith(f) for t in traced)} {f}" for f in families)
    return (
        '"""The tensor operations a design file may name: an allow-list, generated, not written.\n'
        "\n"
        "Generated by ``python scripts/gen_allowed_ops.py --write``, which traces "
        f"{len(traced)} models\n({counts}; the timm list is in that script) "
        "with NetDesigner's own tracer on the\nmeta device and collects every "
        "call_function, call_method and getattr name they produce.\n"
        "A file that names anything outside these sets is refused when it is opened: "
        "files are\ndata, never code. Edit the script and rerun it; do not edit this file.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        + _tuple("FUNCTIONS", functions, "``module:qualname`` of every allowed call_function.")
        + "\n"
        + _tuple("METHODS", methods, "Tensor methods a call_method layer may call.")
        + "\n"
        + _tuple("ATTRIBUTES", attributes, 'Attribute names ``getattr(x, "name")`` may read.')
    )


if __name__ == "__main__":
    raise SystemExit(main())
