"""Reservation leases (spec 05 §12.1): while ``make()`` runs, the reservation of its key is
renewed every ``jobs.lease_renew`` seconds by a background thread, on a connection of its own.

One thread per process renews every lease due (a thread started and joined per key would cost
more than a fast ``make()``); it keeps one renewal connection per jobs table and ends, closing
them, once no key has been made for a while.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from .jobspec import config_value

logger = logging.getLogger("datajoint")

IDLE_SECONDS = 2.0  # the thread ends after this long without a lease


class Lease:
    """Renews the reservation of ``key`` in ``jobs`` for the duration of the block."""

    __slots__ = ("due", "jobs", "key", "period", "worker")

    def __init__(self, jobs: Any, key: Mapping[str, Any]) -> None:
        self.jobs, self.key = jobs, dict(key)
        self.period = float(config_value(jobs.connection, "jobs.lease_renew", 30.0))
        self.due = 0.0
        self.worker = int(jobs.connection.connection_id or 0)  # the reservation's connection

    def __enter__(self) -> Lease:
        if "heartbeat_time" in self.jobs.heading.attributes:
            _keeper.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _keeper.remove(self)


class _Keeper:
    """The leases of the keys being made in this process and the thread that renews them."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.leases: dict[int, Lease] = {}
        self.running = False
        self.wakes_at = math.inf  # when the waiting thread wakes up by itself

    def add(self, lease: Lease) -> None:
        with self.changed:
            lease.due = time.monotonic() + lease.period
            self.leases[id(lease)] = lease
            if not self.running:
                self.running = True
                self.wakes_at = math.inf
                threading.Thread(target=self._run, daemon=True, name="dj-lease").start()
            elif lease.due < self.wakes_at:  # (else its own wake-up comes first: no switch)
                self.changed.notify()

    def remove(self, lease: Lease) -> None:
        with self.changed:
            self.leases.pop(id(lease), None)

    def _due(self) -> list[Lease] | None:
        """The leases to renew now (their next time set); None when the thread should end."""
        with self.changed:
            while True:
                now = time.monotonic()
                if not self.leases:
                    self.wakes_at = math.inf
                    if self.changed.wait(IDLE_SECONDS) or self.leases:
                        continue
                    self.running = False
                    return None
                due = [lease for lease in self.leases.values() if lease.due <= now]
                if due:
                    for lease in due:
                        lease.due = now + lease.period
                    self.wakes_at = -math.inf  # renewing: it looks at the leases again after
                    return due
                self.wakes_at = min(lease.due for lease in self.leases.values())
                self.changed.wait(self.wakes_at - now)

    def _run(self) -> None:
        renewers: dict[tuple[int, str], Any] = {}  # a jobs table on its own connection
        ended = False
        try:
            while (due := self._due()) is not None:
                for lease in due:
                    jobs = lease.jobs
                    where = (id(jobs.connection), jobs.full_table_name)
                    try:  # a failed renewal must not stop the others; the next period retries
                        if where not in renewers:
                            renewers[where] = (jobs.with_new_connection(), jobs)
                        renewers[where][0].heartbeat(lease.key, lease.worker)
                    except Exception as exc:
                        logger.warning("Lease renewal of %s failed: %s", lease.key, exc)
            ended = True
        finally:
            if not ended:  # an unexpected end: the next lease starts a new thread
                with self.changed:
                    self.running = False
            for renewer, _ in renewers.values():
                try:
                    renewer.connection.close()
                except Exception as exc:  # pragma: no cover (closing a broken connection)
                    logger.debug("Closing a lease connection failed: %s", exc)


_keeper = _Keeper()


def _forget_in_child() -> None:
    """A forked child has no renewal thread: it starts its own when it makes a key."""
    global _keeper
    _keeper = _Keeper()


os.register_at_fork(after_in_child=_forget_in_child)
