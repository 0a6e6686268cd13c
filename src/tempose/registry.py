"""A tiny name → factory registry (timm / mmpose 0.x style), one instance per concept.

Each concept (models, filters, dataset formats, estimators) owns one :class:`Registry`.
Family modules register their factories with ``@REGISTRY.register("name")`` when imported;
third-party packages plug in through a Python entry-point group (e.g. ``tempose.models``)
without editing tempose::

    # in the plugin's pyproject.toml
    [project.entry-points."tempose.models"]
    my_model = "my_pkg.models:MyModel"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

from tempose.errors import InputError


class RegistryError(KeyError):
    """An unknown or duplicate name (the message lists what is available), or hyperparameters
    an entry rejects (the message names the entry)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


class Registry:
    """Maps names to factories (classes or functions) for one concept."""

    def __init__(self, concept: str, entry_point_group: str | None = None) -> None:
        self.concept = concept
        self.entry_point_group = entry_point_group
        self._factories: dict[str, Callable[..., Any]] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that registers a factory under ``name``; a duplicate name raises."""

        def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name, factory)
            return factory

        return decorator

    def add(self, name: str, factory: Callable[..., Any]) -> None:
        if name in self._factories:
            raise RegistryError(f"{self.concept} {name!r} is already registered")
        self._factories[name] = factory

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self.entry_point_group is None:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._factories:
                self._factories[ep.name] = ep.load()

    def get(self, name: str) -> Callable[..., Any]:
        self._load_plugins()
        try:
            return self._factories[name]
        except KeyError:
            raise RegistryError(
                f"unknown {self.concept} {name!r}; available: {', '.join(self.available())}"
            ) from None

    def build(self, name: str, **kwargs: Any) -> Any:
        """Instantiate ``name`` with keyword arguments (``None`` values are dropped, as in timm).

        Factories reject bad hyperparameters with ``ValueError``; that, and a keyword the factory
        does not take, become a :class:`RegistryError` naming the entry (a user's config error,
        not a crash); an :class:`~tempose.errors.InputError` passes through as it is."""
        factory = self.get(name)
        try:
            return factory(**{k: v for k, v in kwargs.items() if v is not None})
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError) or (isinstance(exc, TypeError) and "keyword argument" not in str(exc)):
                raise  # already a user error with its own message, or a bug
            raise RegistryError(f"{self.concept} {name!r}: {exc}") from exc

    def available(self) -> list[str]:
        self._load_plugins()
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.available())
