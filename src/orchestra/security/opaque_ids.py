"""Random identifiers that the guard never takes for a secret or personal data.

Generated ids (sessions, threads, approvals, ledger rows, grants…) come back as inputs and are
then checked by :func:`~orchestra.security.identifiers.is_sensitive_identifier`. A random hex
tail is sometimes a Luhn-valid card number or a valid national id (about 1 draw in 25,000 for
a session id ending in 16 hex digits), and the server would then refuse its own id. So each id
is drawn, checked with the same rules, and drawn again when it matches.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from orchestra.security.identifiers import is_sensitive_identifier

MAX_DRAWS = 16


class OpaqueIdError(RuntimeError):
    """Every draw matched a data rule: the fixed part of the id itself is sensitive."""


def opaque_id(render: str | Callable[[str], str], nbytes: int = 8,
              draw: Callable[[int], str] = secrets.token_hex) -> str:
    """``render + token`` (or ``render(token)``) with a random ``token`` of ``nbytes``, drawn until
    no data rule matches the whole id."""
    build = (lambda token: render + token) if isinstance(render, str) else render
    for _ in range(MAX_DRAWS):
        candidate = build(draw(nbytes))
        if not is_sensitive_identifier(candidate):
            return candidate
    raise OpaqueIdError("could not draw an identifier that no data rule matches; its fixed part looks sensitive")
