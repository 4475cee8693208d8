"""The typed spec of every setting, read from the annotations in settings/base.py.

base.py is the one owner of a setting: `NAME: Annotated[type, "meaning"] = default` gives its name, type,
default and one-line meaning together, so a value and its documentation are never written twice. This module
turns those annotations into `SettingSpec`s: how an environment value is parsed and checked, and how the
setting is described (error messages, docs/settings.md).
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

PREFIX = "NEWSARCHIVE_"
SETTINGS_DOC = "docs/settings.md"  # generated from this spec (crawler/config.py)
# Sizes as operators write them: 500MB (powers of 1000), 64MiB (powers of 1024), or a plain number of bytes.
BYTE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
              "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
BYTES_PATTERN = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)", re.IGNORECASE)
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


class SettingsError(ValueError):
    """Configuration that cannot be used; one line per problem, each naming the variable or file and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Unit:
    """Annotation metadata: what a number counts (shown in docs)."""

    name: str


@dataclass(frozen=True)
class PlainName:
    """Annotation metadata: the setting is also read from the environment under its own name (no prefix),
    because operators and containers expect that name (ARCHIVE_URI, REDIS_URL)."""


@dataclass(frozen=True)
class AtLeast:
    """Annotation metadata: the smallest value that works (a number of seconds or bytes is never below 0 anyway).
    A value below it would fail later, mid-crawl, or wedge it (0 requests per domain never fetches anything)."""

    value: int | float


Bytes = typing.Annotated[int, Unit("bytes")]
Seconds = typing.Annotated[float, Unit("seconds")]


@dataclass(frozen=True)
class SettingSpec:
    name: str
    type: Any  # int, float, bool, str, Literal[...], dict[...], list[...] (the annotation without metadata)
    default: Any
    meaning: str
    unit: str | None = None
    plain_name: bool = False
    minimum: int | float | None = None

    @property
    def variable(self) -> str:
        return PREFIX + self.name

    @property
    def variables(self) -> tuple[str, ...]:
        """Environment variables that set it, strongest first."""
        return (self.variable, self.name) if self.plain_name else (self.variable,)

    def kind(self) -> str:
        """What a value must look like, for messages and docs ("an integer", "one of auto, rich")."""
        if self.unit == "bytes":
            return "a whole number of bytes, or a size such as 500MB or 1GiB"
        return _kind(self.type) + (f" of at least {render(self.minimum)}" if self.minimum is not None else "")

    def type_name(self) -> str:
        """The type in a word or two, for the docs' table."""
        floor = f", ≥ {render(self.minimum)}" if self.minimum else ""
        if self.unit:
            return "integer (bytes)" if self.unit == "bytes" else f"number ({self.unit}{floor})"
        if typing.get_origin(self.type) is Literal:
            return " | ".join(str(choice) for choice in typing.get_args(self.type))
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        name = names.get(self.type)
        return name + (f" (≥ {render(self.minimum)})" if self.minimum is not None else "") if name else \
            _kind(self.type).removeprefix("a ")

    def parse(self, raw: str) -> Any:
        """The value an environment string stands for; ValueError saying what was expected."""
        if self.type is str:
            return raw
        text = raw.strip()
        try:
            value = parse_bytes(text) if self.unit == "bytes" else _parse(self.type, text)
        except ValueError:
            value = None
        else:
            if _matches(value, self.type) and (self.minimum is None or value >= self.minimum):
                return value
        raise ValueError(f"expected {self.kind()} (default {render(self.default)})")


def parse_bytes(text: str) -> int:
    """`1GB` → 1000000000, `64MiB` → 67108864, `4096` → 4096; ValueError for anything else."""
    match = BYTES_PATTERN.fullmatch(text.strip())
    if match is None or match.group(2).lower() not in BYTE_UNITS:
        raise ValueError(text)
    number, unit = match.groups()
    if unit == "" and "." in number:
        raise ValueError(text)  # a fraction of a byte
    return int(float(number) * BYTE_UNITS[unit.lower()])


def read_spec(module: types.ModuleType) -> tuple[SettingSpec, ...]:
    """The specs of a settings module's upper-case names, in file order; every one must be annotated."""
    hints = typing.get_type_hints(module, include_extras=True)
    names = [name for name in vars(module) if name.isupper()]
    unannotated = [name for name in names if name not in hints]
    if unannotated:
        raise TypeError(f"{module.__name__}: annotate {', '.join(unannotated)} as Annotated[type, 'meaning']")
    return tuple(_spec(name, hints[name], getattr(module, name)) for name in names)


def render(value: Any) -> str:
    """A value as an operator would write it in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value) if value != "" else '""'


def _spec(name: str, hint: Any, default: Any) -> SettingSpec:
    if typing.get_origin(hint) is not typing.Annotated:
        raise TypeError(f"setting {name}: annotate it as Annotated[type, 'meaning']")
    base, *metadata = typing.get_args(hint)
    meanings = [item for item in metadata if isinstance(item, str)]
    if len(meanings) != 1:
        raise TypeError(f"setting {name}: give exactly one meaning string in its Annotated[...]")
    unit = next((item.name for item in metadata if isinstance(item, Unit)), None)
    minimum = next((item.value for item in metadata if isinstance(item, AtLeast)), 0 if unit else None)
    spec = SettingSpec(name, base, default, meanings[0], unit, any(isinstance(m, PlainName) for m in metadata),
                       minimum)
    if not _matches(default, base) or (minimum is not None and default < minimum):
        raise TypeError(f"setting {name}: default {default!r} is not {spec.kind()}")
    return spec


def _kind(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if hint is bool:
        return "true/false, 1/0 or yes/no"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if origin is Literal:
        return "one of " + ", ".join(str(choice) for choice in typing.get_args(hint))
    if origin is dict:
        return "a JSON object"
    if origin is list:
        return "a JSON list"
    raise TypeError(f"unsupported setting type {hint!r}")


def _parse(hint: Any, text: str) -> Any:
    if hint is bool:
        word = text.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(text)
    if hint is int:
        return int(text)
    if hint is float:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number
    if typing.get_origin(hint) is Literal:
        return text
    return json.loads(text)


def _matches(value: Any, hint: Any) -> bool:
    """Whether a parsed value has the annotated type (bool is not an int here; an int is a float)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if origin is list:
        return isinstance(value, list) and all(_matches(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    raise TypeError(f"unsupported setting type {hint!r}")
