"""User-facing errors: the CLI prints them as one line and exits with code 2."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (missing file, wrong shape, NaN values, unknown name…).

    The message must name the file (when there is one) and the problem in one line.
    """

    def __init__(self, problem: str, path: object | None = None) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path is not None else problem)
