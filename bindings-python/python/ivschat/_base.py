"""Helpers shared by the generated classes (hand-written)."""
from __future__ import annotations

from _collections_abc import Mapping  # = collections.abc.Mapping, already imported by `os`

# `typing` costs ~10 ms of start-up (it imports re, collections, functools...): only for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, NoReturn, Tuple, Type, TypeVar

    T = TypeVar("T", bound="_Shape")

_set = object.__setattr__


def _datetime() -> type:
    """``datetime.datetime``, imported when first needed (not at ``import ivschat``)."""
    import datetime

    return datetime.datetime


def _unknown(operation: str, unknown: Dict[str, Any], valid: Tuple[str, ...]) -> NoReturn:
    """boto3's "Unknown parameter in input", naming the operation and the valid keywords."""
    from ._errors import ParamValidationError

    name, names = sorted(unknown)[0], ", ".join(valid) or "(none)"
    raise ParamValidationError(f"{operation}: unknown parameter {name!r}, must be one of: {names}", member=name)


def _ts(text: Any) -> Any:
    """The core's UTC RFC 3339 text (``2024-05-01T12:34:56.789Z``) as an aware datetime."""
    if not isinstance(text, str) or len(text) < 20 or text[-1] != "Z":
        return text
    import datetime

    micros = int((text[20:-1] + "000000")[:6]) if text[19] == "." else 0
    return datetime.datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                             int(text[14:16]), int(text[17:19]), micros, datetime.timezone.utc)


def _bad(label: str, expected: str, value: object) -> NoReturn:
    raise TypeError(f"{label} must be {expected}, not {type(value).__name__}")


def _seq(value: Any, label: str) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        _bad(label, "a list", value)
    return value


def _str_list(value: Any, label: str) -> List[str]:
    for x in _seq(value, label):
        if not isinstance(x, str):
            _bad(f"{label}[]", "str", x)
    return list(value)


def _str_map(value: Any, label: str) -> Dict[str, str]:
    if not isinstance(value, Mapping):
        _bad(label, "a dict", value)
    for k, v in value.items():
        if not isinstance(k, str):
            _bad(f"{label} key", "str", k)
        if not isinstance(v, str):
            _bad(f"{label}[{k!r}]", "str", v)
    return dict(value)


def _struct(value: Any, label: str, cls: Type[T]) -> T:
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as e:
            raise TypeError(f"{label}: {e}") from None
    _bad(label, f"{cls.__name__} or a dict", value)
    raise AssertionError  # unreachable


def _struct_list(value: Any, label: str, cls: Type[T]) -> List[Dict[str, Any]]:
    return [_struct(x, f"{label}[]", cls).to_dict() for x in _seq(value, label)]


class _Shape:
    """Base of the generated shapes: immutable, compared by value, secrets redacted in repr."""

    __slots__ = ()
    _FIELDS: Tuple[str, ...] = ()
    _SENSITIVE: "frozenset[str]" = frozenset()

    def to_dict(self) -> Dict[str, Any]:  # pragma: no cover - generated per class
        raise NotImplementedError

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._FIELDS)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(_hashable(getattr(self, f)) for f in self._FIELDS)))

    def __repr__(self) -> str:
        shown = ((f, getattr(self, f)) for f in self._FIELDS)
        parts = (f"{f}='***'" if f in self._SENSITIVE else f"{f}={v!r}" for f, v in shown if v is not None)
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), {f: getattr(self, f) for f in self._FIELDS}))


def _rebuild(cls: Any, state: Dict[str, Any]) -> Any:
    self = object.__new__(cls)
    for k, v in state.items():
        _set(self, k, v)
    return self


def _hashable(v: Any) -> Any:
    return tuple(sorted(v.items())) if isinstance(v, dict) else tuple(v) if isinstance(v, list) else v
