"""designer.audit: find what limits accuracy in the data (no Qt).

Typical use::

    design = feature_model(open_model("efficientnet_lite0_bundled", "bundled"))
    features = extract_features(manifest, design, "Lite0 (pretrained)")   # one backbone pass
    report = audit_features(features)                                     # seconds
    for suspect in report.top(20): ...
"""

from __future__ import annotations

from designer.audit.audit import audit_features
from designer.audit.features import AuditError, AuditFeatures, extract_features, feature_model
from designer.audit.report import AuditReport, Reason, Suspect

__all__ = [
    "AuditError",
    "AuditFeatures",
    "AuditReport",
    "Reason",
    "Suspect",
    "audit_features",
    "extract_features",
    "feature_model",
]
