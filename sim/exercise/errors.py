"""The error every exercise command raises when it cannot be carried out."""

from __future__ import annotations

__all__ = ["ExerciseError"]


class ExerciseError(ValueError):
    """A command that cannot be carried out; the message says why, in one line."""
