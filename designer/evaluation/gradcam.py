"""Grad-CAM: which parts of an image made the model say a class (captum's LayerGradCam).

The heat map is taken at a *feature map* layer (4-D output with more than one position). By
default that is the last one before global pooling — the design's last spatial stage, where
the features are most about classes and still know where they are. Any other feature-map layer
can be chosen by its design layer name (the names the canvas shows).

For a design's built model (an fx ``GraphModule``) the chosen node's output is routed through an
inserted ``nn.Identity`` in a copy of the graph (weights shared, the caller's model untouched),
so any node works, including additions and modules called more than once; for any other
``nn.Module`` a submodule path names the layer.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from designer.evaluation.errors import EvaluationError
from designer.evaluation.evaluate import resolve_device
from designer.evaluation.tta import scores

#: the inserted identity module whose output captum attributes to
_PROBE = "_gradcam_probe"


@dataclass(frozen=True)
class Explanation:
    """A Grad-CAM heat map (H x W, in [0, 1], the image's size) for one class at one layer."""

    heatmap: torch.Tensor
    target: int
    layer: str
    #: the model's class probabilities for the image (softmax of its scores)
    probabilities: torch.Tensor


def feature_layers(model: nn.Module, image: torch.Tensor) -> list[str]:
    """Layers whose output is a feature map (batch x channels x H x W, H·W > 1), in the order
    the model runs them: the layers Grad-CAM can use; the last is the default."""
    batch = _batch(image)
    with torch.no_grad():
        shapes = _output_shapes(model.eval(), batch.to(_device_of(model)))
    return [name for name, shape in shapes if len(shape) == 4 and shape[2] * shape[3] > 1]


def default_layer(model: nn.Module, image: torch.Tensor) -> str:
    """The last feature-map layer before global pooling (EvaluationError when there is none)."""
    layers = feature_layers(model, image)
    if not layers:
        raise EvaluationError("This model has no layer with a spatial feature map (4-D output), "
                              "so Grad-CAM cannot show where it looks.")
    return layers[-1]


def grad_cam(model: nn.Module, image: torch.Tensor, target: int | None = None,
             layer: str | None = None, temperature: float = 1.0) -> Explanation:
    """Grad-CAM of ``image`` (C x H x W, prepared as the model expects) for class ``target``
    (default: the predicted class) at ``layer`` (default: :func:`default_layer`).

    The model is run in eval mode on its own device and left as it was; the heat map is
    upsampled (bilinear) to the image's size and scaled so its maximum is 1 (all zeros when no
    position speaks for the class). ``temperature`` only changes the reported probabilities.
    """
    from captum.attr import LayerAttribution, LayerGradCam

    batch = _batch(image)
    device = _device_of(model)
    was_training = model.training
    model.eval()
    try:
        batch = batch.to(device)
        with torch.no_grad():
            probabilities = torch.softmax(scores(model(batch)).float() / temperature,
                                          dim=1)[0].cpu()
        classes = probabilities.numel()
        if target is None:
            target = int(probabilities.argmax())
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < classes:
            raise EvaluationError(f"class index {target!r} is out of range: the model has "
                                  f"{classes} classes (0 to {classes - 1}).")
        name = layer if layer is not None else default_layer(model, image)
        probe_model, probe = _probed(model, name, image)
        explainer = LayerGradCam(lambda x: scores(probe_model(x)), probe)
        with torch.enable_grad():
            attribution = explainer.attribute(batch.clone().requires_grad_(True), target=target,
                                              relu_attributions=True)
        heat = LayerAttribution.interpolate(attribution.detach().float(), tuple(batch.shape[2:]),
                                            interpolate_mode="bilinear")[0].sum(0).cpu()
    finally:
        model.train(was_training)
    heat = torch.nan_to_num(heat.clamp_min(0), nan=0.0, posinf=0.0)
    peak = float(heat.max())
    return Explanation(heat / peak if peak > 0 else torch.zeros_like(heat), target, name,
                       probabilities)


def _probed(model: nn.Module, layer: str, image: torch.Tensor) -> tuple[nn.Module, nn.Module]:
    """(a model to run, the module whose output is the layer's) for ``layer``."""
    if not isinstance(layer, str) or not layer:
        raise EvaluationError("Name the layer for Grad-CAM (a layer of the design).")
    if isinstance(model, fx.GraphModule):
        graph = copy.deepcopy(model.graph)
        node = next((n for n in graph.nodes if n.name == layer
                     and n.op not in ("placeholder", "output")), None)
        if node is None:
            raise EvaluationError(_unknown_layer(layer, feature_layers(model, image)))
        probed = fx.GraphModule(model, graph, class_name="ProbedNetwork")
        identity = nn.Identity()
        probed.add_submodule(_PROBE, identity)
        with probed.graph.inserting_after(node):
            probe_node = probed.graph.call_module(_PROBE, (node,))
        node.replace_all_uses_with(probe_node, delete_user_cb=lambda user: user is not probe_node)
        probed.recompile()
        return probed.eval(), identity
    try:
        module = model.get_submodule(layer)
    except AttributeError:
        raise EvaluationError(_unknown_layer(layer, feature_layers(model, image))) from None
    return model, module


def _unknown_layer(layer: str, known: Sequence[str]) -> str:
    shown = ", ".join(known[-8:]) or "none"
    return (f"The model has no layer called {layer!r}; layers with a feature map are "
            f"(last ones): {shown}.")


def _output_shapes(model: nn.Module, batch: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(layer name, output shape) of every tensor-valued layer, in the order they ran."""
    found: list[tuple[str, tuple[int, ...]]] = []
    if isinstance(model, fx.GraphModule):
        class _Recorder(fx.Interpreter):
            def run_node(self, n: fx.Node) -> Any:
                value = super().run_node(n)
                if n.op not in ("placeholder", "output", "get_attr") \
                        and isinstance(value, torch.Tensor):
                    found.append((n.name, tuple(value.shape)))
                return value

        _Recorder(model).run(batch)
        return found
    order: dict[str, tuple[int, ...]] = {}

    def hook(name: str) -> Any:
        def record(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                order.pop(name, None)  # a module called again counts where it ran last
                order[name] = tuple(output.shape)
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n]
    try:
        model(batch)
    finally:
        for handle in handles:
            handle.remove()
    return list(order.items())


def _batch(image: torch.Tensor) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or image.dim() not in (3, 4) \
            or (image.dim() == 4 and image.shape[0] != 1):
        raise EvaluationError("Grad-CAM needs one prepared image: a C x H x W tensor.")
    return (image if image.dim() == 4 else image.unsqueeze(0)).float()


def _device_of(model: nn.Module) -> torch.device:
    first = next(iter(model.parameters()), None)
    return first.device if first is not None else resolve_device("cpu")


#: the heat map's colours from cold to hot (dark blue, cyan, yellow, red): stops of a
#: piecewise-linear scale, readable over photos and for most colour-blind viewers
_STOPS = torch.tensor([[0.05, 0.05, 0.45], [0.0, 0.75, 0.9], [1.0, 0.9, 0.1], [0.85, 0.05, 0.05]])


def heat_colours(heat: torch.Tensor) -> torch.Tensor:
    """An H x W x 3 uint8 picture of a heat map with values in [0, 1]."""
    scaled = heat.float().clamp(0, 1) * (len(_STOPS) - 1)
    low = scaled.floor().long().clamp(max=len(_STOPS) - 2)
    frac = (scaled - low).unsqueeze(-1)
    rgb = _STOPS[low] * (1 - frac) + _STOPS[low + 1] * frac
    return (rgb * 255).round().to(torch.uint8)


def model_view(prepared: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """The prepared (resized, cropped, normalised) image as the model saw it: H x W x 3 uint8,
    the picture the heat map lies on."""
    m = torch.tensor(list(mean), dtype=torch.float32).view(-1, 1, 1)
    s = torch.tensor(list(std), dtype=torch.float32).view(-1, 1, 1)
    pixels = (prepared.detach().float().cpu() * s + m).clamp(0, 1)
    return (pixels * 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()
