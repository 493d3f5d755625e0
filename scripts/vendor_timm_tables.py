"""Copy the columns the zoo needs from timm's published result tables into resources/timm/.

The source tables (Apache-2.0) are timm's own ``results/`` files; the shared copy's README names
the commit. Usage: ``python scripts/vendor_timm_tables.py /work/shared/data/timm``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "timm"
#: (source file, vendored file, columns kept)
TABLES = (
    ("results-imagenet.csv", "results-imagenet.csv",
     ("model", "img_size", "top1", "top5", "param_count", "crop_pct", "interpolation")),
    ("benchmark-infer-amp-nchw-pt291-cu128-4090.csv", "gmacs.csv",
     ("model", "infer_img_size", "param_count", "infer_gmacs")),
)


def main(source: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, target, columns in TABLES:
        with (source / name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        with (OUT / target).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([row[c] for c in columns] for row in rows)
        print(f"{target}: {len(rows)} rows, columns {', '.join(columns)}")  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1]))
