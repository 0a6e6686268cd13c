"""Typed configuration: frozen dataclasses loaded from YAML files that reject unknown keys.

``load_config(cls, path, overrides)`` reads a YAML mapping into dataclass ``cls`` (nested
dataclasses are nested mappings), applies ``overrides`` (dotted keys such as
``optim.lr=1e-4`` or a dict), and checks every value against its annotation. Relative paths in
fields named ``*path``/``data``/``out`` are resolved by the caller, not here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tempose.errors import InputError

T = TypeVar("T")


def _check(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return _check(value, arg, where)
            except InputError:
                continue
        raise InputError(f"{where}: {value!r} does not match {annotation}")
    if annotation is type(None):
        if value is None:
            return None
        raise InputError(f"{where}: expected null, got {value!r}")
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a mapping, got {value!r}")
        return from_dict(annotation, value, where)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise InputError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise InputError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_check(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))
        item = args[0] if args else Any
        checked = [_check(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(checked) if origin is tuple else checked
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is float and isinstance(value, str):
        try:
            return float(value)  # YAML reads 1e-4 as a string
        except ValueError:
            pass
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise InputError(f"{where}: expected {annotation.__name__}, got {value!r}")
    if isinstance(value, bool) and annotation in (int, float):
        raise InputError(f"{where}: expected {annotation.__name__}, got {value!r}")
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "config") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise InputError."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}")
    kwargs = {k: _check(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    return cls(**kwargs)


def to_dict(obj: Any) -> Any:
    """Dataclass → plain YAML/JSON-able structure (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise InputError(f"override {key}: {p} is not a section")
    node[parts[-1]] = value


def merge(base: dict[str, Any], overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Apply overrides (a dict of dotted keys, or ``key=value`` strings parsed as YAML) to ``base``."""
    out = yaml.safe_load(yaml.safe_dump(base)) if base else {}
    if not overrides:
        return out
    items = overrides.items() if isinstance(overrides, dict) else []
    if isinstance(overrides, list):
        parsed = []
        for item in overrides:
            if "=" not in item:
                raise InputError(f"override {item!r} must look like key=value")
            k, v = item.split("=", 1)
            parsed.append((k.strip(), yaml.safe_load(v)))
        items = parsed
    for k, v in items:
        if v is not None:
            _set_dotted(out, k, v)
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InputError("no such config file", path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
    if not isinstance(data, dict):
        raise InputError("config must be a YAML mapping", path)
    return data


def load_config(cls: type[T], path: str | Path | None = None, overrides=None) -> T:
    """Defaults of ``cls`` ← YAML file ``path`` ← ``overrides``; returns a checked ``cls``."""
    base = read_yaml(path) if path is not None else {}
    try:
        return from_dict(cls, merge(base, overrides))
    except InputError as exc:
        if path is None:
            raise
        raise InputError(exc.problem, path) from None
