"""Issue 15's must-show: planted label mistakes and a leaked augmented copy are found."""

from __future__ import annotations

import pytest

from designer.audit import AuditFeatures, audit_features
from tests.audit.conftest import PlantedData, needs_photos

pytestmark = [pytest.mark.needs_photos, needs_photos]


def test_planted_mislabels_rank_high_with_the_right_suggestion(planted: PlantedData,
                                                                lite0_features: AuditFeatures) -> None:
    report = audit_features(lite0_features, check_pixels=False)
    top = {s.path: s for s in report.top(20)}
    found = [path for path in planted.moved if path in top]
    assert len(found) >= 8, f"only {len(found)} of 10 planted mistakes in the top 20: {found}"
    right = [p for p in found if top[p].suggested == planted.moved[p]]
    assert len(right) >= 6, f"the right class was suggested for {len(right)} of {len(found)}"
    for path in found:
        assert "label" in top[path].kinds


def test_augmented_copy_across_splits_is_flagged_as_leakage(planted: PlantedData,
                                                            lite0_features: AuditFeatures) -> None:
    report = audit_features(lite0_features, check_pixels=False)
    original, leaked = planted.leak
    by_path = {s.path: s for s in report.suspects}
    assert leaked in by_path, "the augmented copy in val is not a suspect"
    leaks = [r for r in by_path[leaked].reasons if r.kind == "leakage"]
    assert [r.other for r in leaks] == [original]
    assert report.leaks >= 1
