"""Generate a standalone PyTorch ``train.py`` that rebuilds and trains a design.

``write_script_bundle(folder, design, options, manifest, augment, image_size)`` writes
``train.py``, ``weights.safetensors`` (the design's weights) and ``split.json`` (the manifest);
``generate_script(...)`` returns the script's text only.

Decisions worth knowing:

- The network is written as a person would (``network.py``/``edits.py``): the zoo builder call
  (``torchvision.models.resnet18(weights=None)``, ``timm.create_model(...)``) followed by one
  attribute assignment per edit — a replaced layer, new layers wrapped with their neighbour in an
  ``nn.Sequential``, ``nn.Identity()`` for a deleted layer — each with a comment saying what was
  done. That form is used only when re-tracing the edited base gives the design's graph operation
  for operation; otherwise (an edit that rewires a block) a ``DesignedNetwork`` class is written
  whose ``forward`` states every layer. The weights file uses the script's tensor names.
- A design of the user's own module (source "module"/"file") is rebuilt layer by layer when every
  layer it calls is a torch.nn layer whose constructor can be written; otherwise CodegenError
  explains that the script needs the module's class (export ONNX / .pt2 instead).
- The training loop mirrors ``designer.training.loop`` and runs the engine's own recipe functions
  (``designer.training.recipe``: optimiser groups, per-iteration schedule, per-epoch seeds, batch
  order, frozen BatchNorm in eval mode, autocast choice), copied verbatim into the script with
  ``inspect.getsource``, so on the CPU with the same options the script reproduces the app's run.
  The app's feature cache and its CPU bf16 benchmark are not reproduced: the script trains the
  whole network and uses fp32 on CPUs.
- With ``distributed=True``, under torchrun (WORLD_SIZE > 1) it uses DistributedDataParallel
  (gloo on CPU, nccl on GPU); every global batch of ``batch_size`` is shared out between the
  processes, so the batches do not depend on their number; process 0 validates, prints, saves.
- ``write_script_bundle`` imports the written script and checks its network against the design
  (outputs within 1e-5, same frozen parameters) before anything lands in the folder.
- Only what the run uses is written (``recipe_code``, ``body_train.select``): the recipe
  functions its code calls, specialised for its solver, schedule and precision; early stopping,
  gradient clipping, class weights and the fine-tune recipe only when on; torchrun support only
  when asked for (``distributed=True``). For resnet18 with a new head that is ~350 lines.
- ``load_script_weights`` reads a script's ``trained.safetensors`` back into the design with the
  same name map.
"""

from __future__ import annotations

from designer.export.codegen.bundle import (
    SCRIPT_NAME,
    SPLIT_NAME,
    WEIGHTS_NAME,
    ScriptReport,
    check_network,
    import_script,
    write_script_bundle,
    write_verified_bundle,
)
from designer.export.codegen.load_back import load_script_weights, script_weights
from designer.export.codegen.script import generate_script
from designer.export.codegen.values import CodegenError

__all__ = [
    "SCRIPT_NAME",
    "SPLIT_NAME",
    "WEIGHTS_NAME",
    "CodegenError",
    "ScriptReport",
    "check_network",
    "generate_script",
    "import_script",
    "load_script_weights",
    "script_weights",
    "write_script_bundle",
    "write_verified_bundle",
]
