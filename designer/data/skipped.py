"""What the import leaves out and why: one record per skipped file or folder.

Nothing in a data folder is dropped without a line in the health report: bad files, folders that
give no image, unreadable folders and symbolic links that loop, dangle or leave the data folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from designer.data.formats import SNIFF_BYTES, not_image_reason, sniff_format

#: Kinds of a skipped file.
FILE_KINDS = frozenset(
    {"empty", "not_image", "unreadable", "truncated", "corrupt", "too_large", "no_class"}
)
#: Kinds of a folder that gave no image.
FOLDER_KINDS = frozenset({"empty_folder", "no_images", "unreadable_folder", "ignored_folder"})
#: Kinds of a symbolic link that was not followed (to a file or a folder).
LINK_KINDS = frozenset({"link_loop", "broken_link", "outside_link"})


@dataclass(frozen=True)
class BadFile:
    """A file or folder that was skipped, with a reason a user can act on.

    ``kind`` is one of :data:`FILE_KINDS`, :data:`FOLDER_KINDS` or :data:`LINK_KINDS`.
    """

    path: Path
    reason: str
    kind: str = "corrupt"

    @property
    def is_folder(self) -> bool:
        """True for a folder (or a link that was not followed), False for a file."""
        return self.kind in FOLDER_KINDS or self.kind in LINK_KINDS


def check_file(path: Path) -> BadFile | None:
    """None for a file whose first bytes look like a supported image, else why it is skipped."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return BadFile(path, f"cannot read file ({exc.strerror or exc})", "unreadable")
    if not head:
        return BadFile(path, "empty file (0 bytes)", "empty")
    if sniff_format(head) is None:
        return BadFile(path, not_image_reason(head), "not_image")
    return None
