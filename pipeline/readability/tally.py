"""Counts that add up over sentences, shared by the measures of each language."""

from __future__ import annotations

from dataclasses import fields


class Tally:
    """Base of a measure's ``Counts`` dataclass: number fields add, list fields extend."""

    def add(self, other):
        """Add ``other`` into these counts (in place) and return them."""
        for field_ in fields(self):
            mine = getattr(self, field_.name)
            if isinstance(mine, list):
                mine.extend(getattr(other, field_.name))
            else:
                setattr(self, field_.name, mine + getattr(other, field_.name))
        return self

    def __add__(self, other):
        return type(self)().add(self).add(other)
