"""Readable family names for timm's model modules ("vision_transformer" -> "ViT").

A timm architecture's family is the module that registers it (``timm.models.convnext``); names
shared with torchvision's families use the same label, so "ConvNeXt" groups both sources.
"""

from __future__ import annotations

_LABELS: dict[str, str] = {
    "beit": "BEiT", "byoanet": "ByoaNet", "byobnet": "ByobNet", "cait": "CaiT", "coat": "CoaT",
    "convit": "ConViT", "convmixer": "ConvMixer", "convnext": "ConvNeXt", "cpubone": "CPUBone",
    "crossvit": "CrossViT", "csatv2": "CSATv2", "cspnet": "CSPNet", "cspnext": "CSPNeXt",
    "davit": "DaViT", "deepseek_vit": "DeepSeek ViT", "deit": "DeiT", "densenet": "DenseNet",
    "dla": "DLA", "dpn": "DPN", "edgenext": "EdgeNeXt", "efficientformer": "EfficientFormer",
    "efficientformer_v2": "EfficientFormerV2", "efficientnet": "EfficientNet",
    "efficientvim": "EfficientViM", "efficientvit_mit": "EfficientViT (MIT)",
    "efficientvit_msra": "EfficientViT (MSRA)", "eva": "EVA", "fasternet": "FasterNet",
    "fastvit": "FastViT", "focalnet": "FocalNet", "gcvit": "GCViT", "gemma4_vit": "Gemma 4 ViT",
    "ghostnet": "GhostNet", "hardcorenas": "HardCoReNAS", "hgnet": "HGNet", "hiera": "Hiera",
    "hieradet_sam2": "HieraDet (SAM2)", "hrnet": "HRNet", "iformer": "iFormer",
    "inception_next": "InceptionNeXt", "inception_resnet_v2": "Inception-ResNet",
    "inception_v3": "Inception", "inception_v4": "Inception", "lcnetv2": "LCNetV2",
    "levit": "LeViT", "lowformer": "LowFormer", "mambaout": "MambaOut", "maxxvit": "MaxViT",
    "metaformer": "MetaFormer", "mlp_mixer": "MLP-Mixer", "mobilenetv3": "MobileNet",
    "mobilenetv5": "MobileNet", "mobilevit": "MobileViT", "mvitv2": "MViTv2",
    "naflexvit": "NaFlexViT", "nasnet": "NASNet", "nest": "NesT", "nextvit": "Next-ViT",
    "nfnet": "NFNet", "pit": "PiT", "pnasnet": "PNASNet", "pvt_v2": "PVTv2",
    "qwen3_vit": "Qwen3 ViT", "rdnet": "RDNet", "regnet": "RegNet", "repghost": "RepGhost",
    "repvit": "RepViT", "res2net": "Res2Net", "resnest": "ResNeSt", "resnet": "ResNet",
    "resnetv2": "ResNetV2", "rexnet": "ReXNet", "selecsls": "SelecSLS", "senet": "SENet",
    "sequencer": "Sequencer", "shvit": "SHViT", "sknet": "SKNet", "starnet": "StarNet",
    "swiftformer": "SwiftFormer", "swin_transformer": "Swin", "swin_transformer_v2": "Swin",
    "swin_transformer_v2_cr": "Swin", "tiny_vit": "TinyViT", "tnt": "TNT", "tresnet": "TResNet",
    "twins": "Twins", "vgg": "VGG", "visformer": "Visformer", "vision_transformer": "ViT",
    "vision_transformer_hybrid": "ViT hybrid", "vision_transformer_relpos": "ViT relpos",
    "vision_transformer_sam": "ViT (SAM)", "vitamin": "ViTamin", "volo": "VOLO",
    "vovnet": "VoVNet", "xception": "Xception", "xception_aligned": "Xception",
    "xcit": "XCiT",
}


def family_label(module: str) -> str:
    """The family shown for timm module ``module`` (a new module shows as itself)."""
    return _LABELS.get(module, module.replace("_", " "))
