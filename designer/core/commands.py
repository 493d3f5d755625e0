"""Undoable edits. Every edit the user makes is a `Command` pushed on a `CommandStack`.

Most edits are `SnapshotCommand`s (or `StateCommand`s, for a transaction already done): they
record the document state before and after (a tuple of immutable layers, so it is cheap) plus
whatever else the edit swapped (e.g. modules, by reference), which makes undo/redo exact, bit
for bit, without copying tensors. Because states hold references, the history can keep large
tensors alive after the document dropped them: `CommandStack.trim` lets the owner (who knows
what a state weighs) drop the oldest entries when it holds too much.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from psygnal import Signal


class Command(ABC):
    """An edit that can be done, undone and redone."""

    label: str = "Edit"

    @abstractmethod
    def redo(self) -> None:
        """Apply (or re-apply) the edit."""

    @abstractmethod
    def undo(self) -> None:
        """Revert the edit exactly."""

    def states(self) -> tuple[Any, ...]:
        """The document states this command keeps (for measuring what the history holds)."""
        return ()


class SnapshotCommand(Command):
    """An edit recorded as the states before and after it.

    Args:
        label: text shown in the Edit menu ("Undo Freeze up to layer3").
        capture: returns the complete editable state (must be cheap: references only).
        restore: puts a captured state back.
        apply: performs the edit the first time; may raise, in which case nothing changes.
    """

    def __init__(self, label: str, capture: Callable[[], Any], restore: Callable[[Any], None],
                 apply: Callable[[], None]) -> None:
        self.label = label
        self._capture = capture
        self._restore = restore
        self._apply: Callable[[], None] | None = apply
        self._before: Any = None
        self._after: Any = None

    def redo(self) -> None:
        """First time: run the edit (restoring the old state if it fails); later: restore."""
        if self._apply is not None:
            self._before = self._capture()
            try:
                self._apply()
            except Exception:
                self._restore(self._before)
                raise
            self._apply = None
            self._after = self._capture()
        else:
            self._restore(self._after)

    def undo(self) -> None:
        """Restore the state captured before the edit."""
        self._restore(self._before)

    def states(self) -> tuple[Any, ...]:
        """The states before and after the edit."""
        return (self._before, self._after)


class StateCommand(Command):
    """An edit already made, recorded as the states before and after it (a transaction)."""

    def __init__(self, label: str, before: Any, after: Any,
                 restore: Callable[[Any], None]) -> None:
        self.label = label
        self._before, self._after, self._restore = before, after, restore

    def redo(self) -> None:
        """Restore the state after the edit."""
        self._restore(self._after)

    def undo(self) -> None:
        """Restore the state before the edit."""
        self._restore(self._before)

    def states(self) -> tuple[Any, ...]:
        """The states before and after the edit."""
        return (self._before, self._after)


class CommandStack:
    """The undo history: push runs a command; undo/redo walk the history."""

    #: emitted after push, undo, redo and clear
    changed = Signal()

    def __init__(self, limit: int = 200) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._limit = limit
        self._clean_index: int | None = 0

    def push(self, command: Command) -> None:
        """Run `command` and record it; if it raises, the history is unchanged."""
        command.redo()
        self.record(command)

    def record(self, command: Command) -> None:
        """Add a command whose edit has already been made (it is not run again)."""
        self._done.append(command)
        self._undone.clear()
        if len(self._done) > self._limit:
            self._drop_oldest_done()
        self.changed.emit()

    def _drop_oldest_done(self) -> None:
        del self._done[0]
        self._clean_index = None if self._clean_index in (None, 0) else self._clean_index - 1

    def trim(self, too_big: Callable[[list[Command]], bool]) -> int:
        """Forget the commands farthest from the present while `too_big(kept)` says so.

        The oldest undo entries go first, then the farthest redo entries. Returns how many
        commands were dropped.
        """
        dropped = 0
        while (self._done or self._undone) and too_big(self._done + self._undone):
            if self._done:
                self._drop_oldest_done()
            else:
                del self._undone[0]
            dropped += 1
        if dropped:
            self.changed.emit()
        return dropped

    def undo(self) -> bool:
        """Undo the last command; returns False when there is nothing to undo."""
        if not self._done:
            return False
        command = self._done.pop()
        command.undo()
        self._undone.append(command)
        self.changed.emit()
        return True

    def redo(self) -> bool:
        """Redo the last undone command; returns False when there is nothing to redo."""
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo()
        self._done.append(command)
        self.changed.emit()
        return True

    def clear(self) -> None:
        """Forget the history (after opening a new model)."""
        self._done.clear()
        self._undone.clear()
        self._clean_index = 0
        self.changed.emit()

    @property
    def commands(self) -> list[Command]:
        """Every command kept, oldest undo entry first, farthest redo entry last."""
        return self._done + self._undone[::-1]

    @property
    def can_undo(self) -> bool:
        """Whether there is something to undo."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """Whether there is something to redo."""
        return bool(self._undone)

    @property
    def undo_label(self) -> str:
        """Label of the command undo would revert ('' when none)."""
        return self._done[-1].label if self._done else ""

    @property
    def redo_label(self) -> str:
        """Label of the command redo would re-apply ('' when none)."""
        return self._undone[-1].label if self._undone else ""

    def set_clean(self) -> None:
        """Mark the current point as saved."""
        self._clean_index = len(self._done)

    def set_unsaved(self) -> None:
        """Mark the document as never saved (a design made by the app, e.g. by pruning)."""
        self._clean_index = None

    @property
    def is_clean(self) -> bool:
        """Whether the document is as it was when last saved."""
        return self._clean_index == len(self._done)
