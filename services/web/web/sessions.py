"""Signed-in sessions, kept in this process's memory: the bearer token never leaves the
server. The browser holds only a random session id in an HttpOnly, SameSite=Lax cookie.

A session also exists before sign-in (anonymous, without a token), so that the sign-in
form has a CSRF token too; signing in replaces it with a new id (no session fixation).
Restarting the console signs everyone out.
"""

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

COOKIE_NAME = "consola_sesion"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Session:
    id: str
    csrf_token: str
    token: str | None = None  # the bearer token for both APIs, once signed in
    user: str = ""
    contracts: tuple[str, ...] = ()  # canonical RUTs the token reaches in accounting
    companies: tuple[str, ...] = ()  # canonical RUTs the token reaches in invoicing
    token_expires_at: float | None = None  # epoch seconds
    # Looked up at each call, not bound once: the clock a test sets is the one used.
    last_seen: float = field(default_factory=lambda: time.monotonic())
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)

    @property
    def signed_in(self) -> bool:
        if self.token is None:
            return False
        return self.token_expires_at is None or time.time() < self.token_expires_at

    def csrf_ok(self, sent: str | None) -> bool:
        return sent is not None and sent != "" and hmac.compare_digest(sent.encode(),
                                                                       self.csrf_token.encode())

    def flash(self, message: str, kind: str = "ok") -> None:
        self.flashes.append((kind, message))

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken


class SessionStore:
    """In-memory sessions with an idle timeout and a cap (the least recently used go)."""

    def __init__(self, idle_seconds: float, max_sessions: int = 10_000):
        self._idle = idle_seconds
        self._max = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def new(self) -> Session:
        session = Session(id=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self._idle:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            self._sessions.move_to_end(session_id)
            return session

    def sign_in(self, old: Session | None, *, token: str, user: str, contracts: list[str],
                companies: list[str], expires_at: float | None) -> Session:
        """A new session (new id, new CSRF token) holding the token; the old one is gone."""
        if old is not None:
            self.drop(old.id)
        session = self.new()
        session.token, session.user = token, user
        session.contracts, session.companies = tuple(contracts), tuple(companies)
        session.token_expires_at = expires_at
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
