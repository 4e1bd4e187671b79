"""Sockets follow the login they were opened with.

A socket runs as the actor its session cookie named at the handshake. When that session
ends (logout, a password change, expiry) or its account changes (suspended, reinstated,
another role), the socket is closed with `Close.SESSION_CHANGED`; the client reconnects
as whoever its cookie names now and resumes with `since`, and channels it may no longer
read are refused then. Anonymous sockets run as nobody's login and are never checked.

Each worker checks the sessions of all its open sockets in ONE query (by the token's
keyed hash, `forum.sessions.actors`), every `SWEEP_EVERY` seconds, and compares the actor
each session runs as now with the one its sockets run as. It also checks at once, before
delivering anything later in the log, when the listener reads an event that ends a
session or changes an account (`session.*`, `user.*`): so a post written after a logout
or a suspension has committed never reaches that login's sockets, on any worker. Expiry
and the end of a suspension's period write nothing; they are noticed within `SWEEP_EVERY`
(the actor a session runs as is read as of now: `forum.suspensions.active`).

An account whose regions changed (`user.role_changed`: a moderator given or taken a
region) may run as the same actor, yet may no longer join its old regions' queues
(`mod:<slug>`): its sockets are closed then too, whatever their actor, and rejoin as the
account is now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass

from forum.events import Event
from forum.permissions import ANONYMOUS, Actor

log = logging.getLogger("forum.realtime")

# Events after which an account's sockets rejoin, even as the same actor.
REJOIN_EVENTS = ("user.role_changed",)
SWEEP_EVERY = 2.0  # seconds between two checks of every open socket's session, per worker

# The live sessions among these keys, each with the actor it runs as now.
Lookup = Callable[[Collection[bytes]], Awaitable[Mapping[bytes, Actor]]]


@dataclass(frozen=True)
class Identity:
    """Who a socket runs as: the actor, and the keyed hash of its session's token
    (`forum.sessions.Current.key`; None for an anonymous socket)."""

    actor: Actor = ANONYMOUS
    session_key: bytes | None = None


@dataclass(eq=False)
class _Watched:
    key: bytes
    actor: Actor
    end: Callable[[], None]


class Sweep:
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._watched: set[_Watched] = set()

    def watch(self, identity: Identity, end: Callable[[], None]) -> Callable[[], None]:
        """Call `end` once `identity`'s session ends or runs as another actor; returns the
        function that stops watching (when the socket closes)."""
        if identity.session_key is None:
            return lambda: None
        watched = _Watched(identity.session_key, identity.actor, end)
        self._watched.add(watched)
        return lambda: self._watched.discard(watched)

    async def still(self, identity: Identity) -> bool:
        """Whether `identity` still holds now (one query; always for anonymous)."""
        if identity.session_key is None:
            return True
        now = await self._lookup([identity.session_key])
        return now.get(identity.session_key) == identity.actor

    async def check(self) -> int:
        """Check every watched socket's session in one query; end those that changed.
        Returns how many were ended."""
        watched = list(self._watched)
        if not watched:
            return 0
        now = await self._lookup({w.key for w in watched})
        ended = 0
        for w in watched:
            # Sockets that closed while the query ran are gone from the set: leave them be.
            if w in self._watched and now.get(w.key) != w.actor:
                self._watched.discard(w)
                w.end()
                ended += 1
        return ended

    async def heard(self, event: Event) -> int:
        """Before `event` (one that ends a login or changes an account) is delivered: end
        the sockets of an account whose regions changed, then those whose session did.
        Returns how many were ended."""
        ended = 0
        user_id = event.payload.get("user_id")
        if event.type in REJOIN_EVENTS and user_id is not None:
            for w in [w for w in self._watched if w.actor.user_id == user_id]:
                self._watched.discard(w)
                w.end()
                ended += 1
        return ended + await self.check()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                await self.check()
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("session sweep failed: %s", exc)
