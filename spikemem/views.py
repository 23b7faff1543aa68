"""Population views: contiguous slices of a population or spike source."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._repr import short_repr
from .errors import ValidationError
from .validation import check_integer

__all__ = ["PopulationView", "Sliceable"]


class Sliceable:
    """Mixin: ``group[a:b]`` gives a `PopulationView` of neurons a..b-1 (step 1)."""

    def __getitem__(self, key) -> "PopulationView":
        if isinstance(key, (int, np.integer)):
            key = slice(int(key), int(key) + 1)
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise ValidationError(
                f"{type(self).__name__} {self.label!r}: index must be an int or a slice with "
                f"step 1, got {key!r}")
        start, stop, _ = key.indices(self.size)
        return PopulationView(self, start, stop)


@dataclass(frozen=True, eq=False)
class PopulationView:
    """Neurons ``start .. stop-1`` of a population or spike source (`parent`)."""

    parent: object
    start: int
    stop: int

    __repr__ = short_repr

    def __post_init__(self):
        size = getattr(self.parent, "size", None)
        if not isinstance(size, int) or isinstance(self.parent, PopulationView):
            raise ValidationError(f"PopulationView: parent must be a Population or spike "
                                  f"source, got {type(self.parent).__name__}")
        owner = f"PopulationView of {self.parent.label!r}"
        object.__setattr__(self, "start", check_integer(owner, "start", self.start, 0, size))
        object.__setattr__(self, "stop", check_integer(owner, "stop", self.stop, 0, size))
        if not 0 <= self.start < self.stop <= self.parent.size:
            raise ValidationError(
                f"PopulationView of {self.parent.label!r}: slice {self.start}:{self.stop} must be "
                f"non-empty and within 0..{self.parent.size}")

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def label(self) -> str:
        return f"{self.parent.label}[{self.start}:{self.stop}]"
