"""Throttling of failed logins, per (account name, client address), per client address and per name.

A password guesser gets LOGIN_FAILURES_PER_ACCOUNT tries at one name from one
address and LOGIN_FAILURES_PER_ADDRESS tries from one address over all names
in a moving window; after that every login of that name from that address
(or every login from that address) is refused (HTTP 429), the right password
included, until the window has moved on. The name is counted per address, so
a guesser elsewhere cannot lock the admin out of their own desk; a guesser
with many addresses still needs ~10^8 guesses against a password a user chose
(omr.data.users.check_password, zxcvbn score 3). A successful login does not clear the counts:
a guesser who also has an account of their own must not reset them.

Guessing at one name from many addresses (30 addresses x 4 tries never reached either limit) is
bounded by LOGIN_FAILURES_PER_NAME over all addresses. So that a guesser cannot keep a user out by
keeping that count full, it does not apply from an address where the name logged in successfully
before (remembered in memory, up to LOGIN_KNOWN_ADDRESSES_PER_NAME per name): the user at their
own desk still logs in; everyone else waits until the moving window frees a try (15 minutes at most).
Nor does the per-address count: behind one office NAT an outsider inventing 20 names locked every
user of the office out for 15 minutes; a user at an address they are known from is refused only by
their own name's failures there (LOGIN_FAILURES_PER_ACCOUNT).

Counting uses the ``limits`` library (the engine of Flask-Limiter) with its
in-memory storage. The limits hold exactly under concurrency without making
logins wait on each other: under a lock, a try is checked with the tries
still being verified on other threads counted as failures (``_inflight``)
and reserved; the password is verified (Argon2, ~0.1-0.5 s) outside the
lock; then, under the lock again, the reservation is released and a failure
counted. Holding the lock through the Argon2 check serialised every login.
An admin who sets a user's password lifts that name's lock (:meth:`LoginThrottle.unlock`: the name's
counters start again; the address's count over all names is not the name's and stays), and the users'
page shows until when a name is locked (:meth:`LoginThrottle.locked_until`).
The counts live in the one server process (``omr review serve`` runs one)
and start again when it restarts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from omr.text.normalise import nfc
from omr.tuning import (LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME,
                         LOGIN_KNOWN_ADDRESSES_PER_NAME)

T = TypeVar("T")
MAX_NAME_KEY = 100  # longer names cannot exist (omr.data.users.NAME_PATTERN); they share one counter


class LoginThrottled(Exception):
    """Too many failed logins for this name or address; ``retry_after_s`` until the next try counts."""

    def __init__(self, retry_after_s: int):
        super().__init__(retry_after_s)
        self.retry_after_s = retry_after_s


class LoginThrottle:
    """Counts failed logins; see the module docstring."""

    def __init__(self, per_account: str = LOGIN_FAILURES_PER_ACCOUNT, per_address: str = LOGIN_FAILURES_PER_ADDRESS,
                 per_name: str = LOGIN_FAILURES_PER_NAME):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account = parse(per_account)
        self._per_address = parse(per_address)
        self._per_name = parse(per_name)
        self._lock = threading.Lock()  # held around the counters only, never while a password is checked
        self._inflight: dict[tuple, int] = {}  # tries being verified now, per counter key
        self._known: dict[str, OrderedDict[str, None]] = {}  # name -> addresses it logged in from
        # name -> times an admin lifted its lock: part of the name's counter keys, so they start again
        self._epoch: dict[str, int] = {}
        self._locked: dict[str, float] = {}  # name -> when its last full counter frees a try (epoch seconds)

    def _keys(self, name: str, address: str):
        """(the counters a try of ``name`` from ``address`` counts against, those that may refuse it)
        (called under the lock).

        From an address the name logged in from before, neither the name's count over all addresses
        nor the address's count over all names refuses it: other names' failures from one office NAT
        (an outsider inventing names) must not keep the office's own users out. Its failures still
        count against the address, and its own (name, address) count still refuses it.
        """
        key_name, address = _name_key(name), address or "?"
        epoch = str(self._epoch.get(key_name, 0))
        account = (self._per_account, ("account", key_name, epoch, address))
        by_address = (self._per_address, ("address", address))
        if address in self._known.get(key_name, ()):
            return (account, by_address), (account,)
        keys = (account, by_address, (self._per_name, ("name", key_name, epoch)))
        return keys, keys

    def _remember(self, name: str, address: str) -> None:
        """``name`` logged in from ``address``: its own desk from now on (called under the lock)."""
        known = self._known.setdefault(_name_key(name), OrderedDict())
        known[address or "?"] = None
        known.move_to_end(address or "?")
        while len(known) > LOGIN_KNOWN_ADDRESSES_PER_NAME:
            known.popitem(last=False)

    def attempt(self, name: str, address: str, verify: Callable[[], T | None]) -> T | None:
        """``verify()``'s result; a None result (wrong password) is counted against ``name`` and ``address``.

        Raises LoginThrottled without calling ``verify`` when either has no tries left.
        """
        with self._lock:
            keys, refusing = self._keys(name, address)
            blocked = [(limit, key) for limit, key in refusing
                       if not self._limiter.test(limit, *key, cost=1 + self._inflight.get(key, 0))]
            if blocked:
                reset_at = max(self._limiter.get_window_stats(limit, *key).reset_time for limit, key in blocked)
                raise LoginThrottled(max(1, math.ceil(reset_at - time.time())))
            for _, key in keys:  # this try counts as a failure for others until it is known
                self._inflight[key] = self._inflight.get(key, 0) + 1
        try:
            result = verify()
        except BaseException:
            self._release(keys, failed=False)  # an error checking is no wrong password
            raise
        self._release(keys, failed=result is None)
        if result is not None:
            with self._lock:
                self._remember(name, address)
        return result

    def _release(self, keys, failed: bool) -> None:
        with self._lock:
            for limit, key in keys:
                left = self._inflight[key] - 1
                if left:
                    self._inflight[key] = left
                else:
                    del self._inflight[key]
                if failed:
                    self._limiter.hit(limit, *key)
                    # A name's counter full locks it, unless an admin lifted its lock while this try was
                    # being checked (the key's epoch is then an old one, no longer counted).
                    if key[0] != "address" and key[2] == str(self._epoch.get(key[1], 0)) \
                            and not self._limiter.test(limit, *key):
                        until = self._limiter.get_window_stats(limit, *key).reset_time
                        self._locked[key[1]] = max(until, self._locked.get(key[1], 0.0))

    def locked_until(self, name: str) -> float | None:
        """When ``name``'s login is tried again after its failures locked it (epoch seconds), else None.

        Locked: its count over all addresses, or its count from one address, is full (the address's
        count over all names is not the name's lock)."""
        with self._lock:
            now = time.time()
            for expired in [n for n, until in self._locked.items() if until <= now]:
                del self._locked[expired]  # bounded: only names locked within the last window stay
            return self._locked.get(_name_key(name))

    def unlock(self, name: str) -> None:
        """Lift ``name``'s lock (an admin set a new password): its failures so far no longer count."""
        with self._lock:
            key_name = _name_key(name)
            self._epoch[key_name] = self._epoch.get(key_name, 0) + 1
            self._locked.pop(key_name, None)


def _name_key(name: str) -> str:
    """The counter key of a login name: as login matches it (NFC, any case)."""
    return nfc(name).casefold()[:MAX_NAME_KEY]
