"""Catch-alls stay honest: every ``except Exception`` (or bare ``except``, or ``except
BaseException``) in ``monitor/`` and ``spiders/`` re-raises, or logs the traceback and says why
it is a boundary; and every exception class the project defines lives in ``monitor/errors.py``
under ``MonitorError`` (but for the crawl glue's subclasses of Scrapy's own ``IgnoreRequest``).

Read from the source with :mod:`ast`, so a new silent catch-all fails here with its place.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import monitor
from monitor.errors import MonitorError

REPO = Path(__file__).resolve().parents[1]
TREES = ("monitor", "spiders")
CATCH_ALL = frozenset({"Exception", "BaseException"})
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "critical", "exception", "log"})


def _sources() -> Iterator[Path]:
    for tree in TREES:
        yield from sorted((REPO / tree).rglob("*.py"))


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return {"<bare>"}
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _catches_all(handler: ast.ExceptHandler) -> bool:
    names = _names(handler.type)
    return "<bare>" in names or bool(names & CATCH_ALL)


def _logs_traceback(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    if func.attr == "exception":
        return True
    return any(
        k.arg == "exc_info" and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in call.keywords
    )


def _is_honest(handler: ast.ExceptHandler) -> bool:
    """It raises (the same error or one of ours ``from`` it), or logs with the traceback."""
    for stmt in handler.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Raise):
                return True
            if isinstance(node, ast.Call) and _logs_traceback(node):
                return True
    return False


def _raises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(n, ast.Raise) for s in handler.body for n in ast.walk(s))


def _catch_alls() -> Iterator[tuple[str, int, ast.ExceptHandler, str]]:
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.ExceptHandler) and _catches_all(node):
                place = str(path.relative_to(REPO))
                yield place, node.lineno, node, lines[node.lineno - 1]


def test_no_catch_all_turns_a_bug_into_a_normal_outcome() -> None:
    offenders = [
        f"{place}:{line}: {source.strip()}"
        for place, line, handler, source in _catch_alls()
        if not _is_honest(handler)
    ]
    assert not offenders, "catch-alls that neither re-raise nor log the traceback:\n" + "\n".join(
        offenders
    )


def test_every_remaining_boundary_says_why() -> None:
    """A catch-all that does not re-raise is a boundary and says so on its line."""
    unexplained = [
        f"{place}:{line}: {source.strip()}"
        for place, line, handler, source in _catch_alls()
        if not _raises(handler) and "# boundary:" not in source
    ]
    assert not unexplained, "add `# boundary: <why>` to:\n" + "\n".join(unexplained)


def test_the_checker_sees_a_silent_catch_all() -> None:
    """The rule itself can fail: a swallowed error and a traceback-less log line are caught."""
    sample = ast.parse(
        "try:\n    f()\nexcept Exception:\n    pass\n"
        "try:\n    f()\nexcept (ValueError, Exception) as exc:\n    log.error('x %s', exc)\n"
        "try:\n    f()\nexcept:\n    log.warning('x', exc_info=False)\n"
        "try:\n    f()\nexcept Exception:\n    log.warning('x', exc_info=True)\n"
        "try:\n    f()\nexcept BaseException:\n    raise\n"
        "try:\n    f()\nexcept ValueError:\n    pass\n"
    )
    handlers = [n for n in ast.walk(sample) if isinstance(n, ast.ExceptHandler)]
    verdicts = [(_catches_all(h), _catches_all(h) and _is_honest(h)) for h in handlers]
    assert verdicts == [
        (True, False),
        (True, False),
        (True, False),
        (True, True),
        (True, True),
        (False, False),
    ]


def _is_scrapy_signal(cls: type) -> bool:
    """Scrapy's control flow (``IgnoreRequest``, ``DropItem``): its glue subclasses them."""
    return any(base.__module__ == "scrapy.exceptions" for base in cls.__mro__)


def _project_exceptions() -> Iterator[type[BaseException]]:
    """Every exception class defined in ``monitor`` (Scrapy's signals in the glue left out)."""
    for info in pkgutil.walk_packages(monitor.__path__, "monitor."):
        if info.name.startswith(("monitor.demo.__main__", "monitor.__main__")):
            continue
        module = importlib.import_module(info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if not issubclass(value, BaseException) or _is_scrapy_signal(value):
                continue
            if value.__module__.startswith("monitor."):
                yield value


def test_every_exception_class_derives_from_the_project_base() -> None:
    strays = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _project_exceptions()
        if not issubclass(cls, MonitorError)
    }
    assert not strays, f"exceptions outside the tree rooted at MonitorError: {sorted(strays)}"


def test_every_exception_class_is_defined_in_the_errors_module() -> None:
    elsewhere = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _project_exceptions()
        if cls.__module__ != "monitor.errors"
    }
    assert not elsewhere, f"define these in monitor/errors.py: {sorted(elsewhere)}"
