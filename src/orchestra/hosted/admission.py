"""Admission per principal, held across server processes in the control store.

* **Rate**: GCRA (one "theoretical arrival time" per key). With ``rate`` requests per ``period`` the
  emission interval is ``T = period / rate`` and the burst tolerance ``tau = period``: from idle a
  principal may send ``rate`` requests at once, then one every ``T``. The check is one UPSERT under
  ``BEGIN IMMEDIATE``; a refused request does not move the TAT. ``Retry-After`` is the time until the
  next request would pass, rounded up.
* **Concurrency**: a lease row per request in flight, with an expiry, so a killed process frees its
  slots after ``lease_ttl_s``; the adapter renews a lease while its request runs. Expired leases are
  deleted inside the same transaction that counts the live ones and takes a slot.

Time is the control store's clock (``tx.now()``: the host's wall clock for ``control.db``, the database
server's for PostgreSQL, so servers on several machines agree), read **inside** the write transaction,
after the key's lock (``tx.lock``, per principal on PostgreSQL): the order of the clock readings is then
the order in which the transactions take effect. (Read before the lock, a request that read its clock
first but committed later saw an earlier "now" than the TAT already stored, and was refused although
within its burst: the cause of a flake of the two-server rate test.) """

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from orchestra.hosted.control import Control, Transaction
from orchestra.hosted.errors import RateLimitedError
from orchestra.store.dialect import greatest

DEFAULT_RATE = 60
DEFAULT_PERIOD_S = 60.0
DEFAULT_CONCURRENCY = 4
DEFAULT_BODY_BYTES = 64 * 1024
DEFAULT_LEASE_TTL_S = 30.0


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    """Per-principal limits (the seed's public API: 60 a minute, 4 at once, 64 KiB bodies)."""

    rate: int = DEFAULT_RATE
    period_s: float = DEFAULT_PERIOD_S
    concurrency: int = DEFAULT_CONCURRENCY
    body_bytes: int = DEFAULT_BODY_BYTES
    lease_ttl_s: float = DEFAULT_LEASE_TTL_S

    def __post_init__(self) -> None:
        if not 1 <= self.rate <= 1_000_000 or not 0 < self.period_s <= 86400:
            raise ValueError("rate must be 1..1000000 per a period of up to a day")
        if not 1 <= self.concurrency <= 10_000 or not 1024 <= self.body_bytes <= 64 * 1024 * 1024:
            raise ValueError("concurrency must be 1..10000 and body_bytes 1 KiB..64 MiB")
        if not 1 <= self.lease_ttl_s <= 3600:
            raise ValueError("lease_ttl_s must be 1..3600 seconds")

    @property
    def emission_s(self) -> float:
        """Seconds between requests at the steady rate."""
        return self.period_s / self.rate


@dataclass(frozen=True, slots=True)
class Lease:
    """A concurrency slot held by one request."""

    lease_id: str
    key: str


class AdmissionService:
    """Rate and concurrency admission over the control store."""

    def __init__(self, control: Control, limits: AdmissionLimits | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self._control = control
        self.limits = limits or AdmissionLimits()
        self._clock = clock

    def _now(self, tx: Transaction) -> float:
        return self._clock() if self._clock is not None else tx.now()

    def check_rate(self, key: str) -> None:
        """Count one request for ``key``, or ``rate_limited`` with the seconds to wait."""
        limits = self.limits
        emission, tau = limits.emission_s, limits.period_s + 1e-9  # 1e-9: float sums
        with self._control.write() as tx:
            tx.lock(key)
            now = self._now(tx)  # under the lock: see the module doc
            most = greatest(tx.dialect)
            row = tx.fetchone(
                "INSERT INTO admission_rate (key, tat) VALUES (?, ? + ?) "
                f"ON CONFLICT (key) DO UPDATE SET tat = {most}(admission_rate.tat, ?) + ? "
                f"WHERE {most}(admission_rate.tat, ?) + ? - ? <= ? RETURNING tat",
                (key, now, emission, now, emission, now, emission, now, tau))
            if row is not None:
                return
            current = tx.fetchone("SELECT tat FROM admission_rate WHERE key = ?", (key,))
        tat = float(current[0]) if current else now
        wait = max(tat, now) + emission - now - limits.period_s
        raise RateLimitedError("too many requests: the rate limit is "
                               f"{limits.rate} per {limits.period_s:g}s", retry_after_s=max(1, math.ceil(wait)))

    def acquire(self, key: str) -> Lease:
        """Take a concurrency slot for ``key``, or ``rate_limited`` when all are in use."""
        limits = self.limits
        lease = Lease(lease_id=secrets.token_hex(12), key=key)
        with self._control.write() as tx:
            tx.lock(key)
            now = self._now(tx)
            tx.execute("DELETE FROM admission_leases WHERE key = ? AND expires_at <= ?", (key, now))
            row = tx.fetchone("SELECT count(*), min(expires_at) FROM admission_leases WHERE key = ?", (key,))
            active = int(row[0]) if row else 0
            if active < limits.concurrency:
                tx.execute("INSERT INTO admission_leases (lease_id, key, expires_at) VALUES (?, ?, ?)",
                           (lease.lease_id, key, now + limits.lease_ttl_s))
                return lease
        raise RateLimitedError(f"too many concurrent requests: at most {limits.concurrency} at once",
                               retry_after_s=1)

    def renew(self, lease: Lease) -> bool:
        """Push a held lease's expiry forward; False when it had already expired (and was taken back)."""
        with self._control.write() as tx:
            changed = tx.execute("UPDATE admission_leases SET expires_at = ? WHERE lease_id = ?",
                                 (self._now(tx) + self.limits.lease_ttl_s, lease.lease_id))
        return changed == 1

    def release(self, lease: Lease) -> None:
        """Free the slot."""
        with self._control.write() as tx:
            tx.execute("DELETE FROM admission_leases WHERE lease_id = ?", (lease.lease_id,))

    def active(self, key: str) -> int:
        """Live leases of ``key`` (for tests and status)."""
        with self._control.read() as tx:
            row = tx.fetchone("SELECT count(*) FROM admission_leases WHERE key = ? AND expires_at > ?",
                              (key, self._now(tx)))
        return int(row[0]) if row else 0
