"""The ``orchestra`` console script: fast paths for the hooks, else the full CLI.

``orchestra health`` runs on every prompt in every runtime with the hook installed,
so its plain forms (the flags the installed hooks use) are parsed here by hand,
without importing ``argparse``; ``orchestra hook <event>`` (the sub-agent lifecycle hook) goes
straight to :mod:`orchestra.runtime.hook`, ``orchestra hook pre-tool`` (the point-of-action guard) to
:mod:`orchestra.runtime.pretool`. Anything else, including ``--help`` and every error,
goes to :func:`orchestra.cli.main.main`, which stays the one definition of the CLI.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

_FLAGS = {"--hook-session": "hook_session", "--json": "as_json", "--quiet": "quiet"}
_VALUES = {"--runtime": "runtime", "--workspace": "workspace"}


def parse_health_fast(argv: Sequence[str]) -> dict[str, str | bool | None] | None:
    """Options for ``health`` when ``argv`` holds only known flags; ``None`` sends it to argparse."""
    options: dict[str, str | bool | None] = {"runtime": None, "workspace": None, "hook_session": False,
                                              "as_json": False, "quiet": False}
    items = list(argv)
    while items:
        token = items.pop(0)
        name, eq, value = token.partition("=")
        if token in _FLAGS:
            options[_FLAGS[token]] = True
        elif name in _VALUES and eq and value:
            options[_VALUES[name]] = value
        elif token in _VALUES and items and not items[0].startswith("-"):
            options[_VALUES[token]] = items.pop(0)
        else:
            return None
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``orchestra``; errors print ``orchestra: <message>`` on stderr and exit 1."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:2] == ["hook", "pre-tool"] and not {"-h", "--help"} & set(arguments):
        from orchestra.runtime.pretool import main as pretool_main

        return pretool_main(arguments[2:])
    if arguments[:1] == ["hook"] and not {"-h", "--help"} & set(arguments):
        from orchestra.runtime.hook import main as hook_main

        return hook_main(arguments[1:])
    if arguments[:1] == ["health"]:
        options = parse_health_fast(arguments[1:])
        if options is not None:
            from orchestra.cli.health_commands import health
            from orchestra.errors import OrchestraError

            try:
                return health(**options)  # type: ignore[arg-type]
            except OrchestraError as exc:
                print(f"orchestra: {exc}", file=sys.stderr)
                return 1
            except BrokenPipeError:
                return 1
    from orchestra.cli.main import main as full_main

    return full_main(arguments)


if __name__ == "__main__":
    raise SystemExit(main())
