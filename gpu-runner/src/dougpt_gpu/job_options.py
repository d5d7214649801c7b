"""What the jobs' option dataclasses share: help on every field, and job JSON → dataclasses that names the wrong field.

Field annotations are strings (postponed evaluation); the shapes the jobs use are checked: scalars, optional
scalars, `Literal` aliases (named in `literals`), tuples of strings and nested option dataclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import field
from typing import Any

from .errors import BadInput

_SCALARS: dict[str, Any] = {"str": str, "int": int, "float": (int, float), "bool": bool}


def help_field(text: str, **kwargs: Any) -> Any:
    """A dataclass field with its help text (`--help` and the docs read it)."""
    return field(metadata={"help": text}, **kwargs)


def check_type(annotation: Any, value: Any, where: str, literals: Collection[str] = ()) -> None:
    """Raises BadInput naming `where` when `value` does not fit `annotation`."""
    text = str(annotation)
    if value is None:
        if "None" not in text:
            raise BadInput(f"{where}: must not be null")
        return
    base = text.replace(" | None", "")
    if base.startswith("tuple["):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise BadInput(f"{where}: must be a list of strings")
        return
    if base in literals or base.startswith("Literal["):
        if not isinstance(value, str):
            raise BadInput(f"{where}: must be a string")
        return
    expected = _SCALARS.get(base)
    if expected is None:
        return
    if isinstance(value, bool) and base in ("int", "float"):
        raise BadInput(f"{where}: must be a number")
    if not isinstance(value, expected):
        raise BadInput(f"{where}: must be {base}, got {type(value).__name__}")


def build(cls: type, value: Any, where: str, literals: Collection[str] = ()) -> Any:
    """`cls(**value)` after checking every field; `where` is "job" for the top level, else the nested key.

    Values that are already dataclasses (nested options built first) pass as they are; lists become tuples
    where the field is a tuple.
    """
    if not isinstance(value, dict):
        raise BadInput(f"{where}: must be an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BadInput(f"{where}: unknown field {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, item in value.items():
        if dataclasses.is_dataclass(item):
            values[name] = item
            continue
        annotation = str(fields[name].type)
        check_type(annotation, item, name if where == "job" else f"{where}.{name}", literals)
        values[name] = tuple(item) if isinstance(item, list) and annotation.startswith("tuple[") else item
    return cls(**values)
