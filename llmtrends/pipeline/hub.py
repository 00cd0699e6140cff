"""Live Hub API enrichment: cached, concurrent, rate-limit aware and resumable.

For every leaderboard repository this module asks the Hugging Face Hub (through the real
``huggingface_hub.HfApi`` client) for

* ``model_info``: the id the Hub answered for (``hub_id``), author, creation and last
  modification dates, downloads, likes, library, tags and the model card's base model,
  datasets, languages and license;
* ``list_repo_commits``: the number of commits, the first and last commit dates and the
  distinct commit authors (automation accounts dropped, see :func:`llmtrends.schema.is_bot`),

and returns them as the two record tables of :mod:`llmtrends.schema`
(``HUB_RECORD_COLUMNS``, ``COMMIT_RECORD_COLUMNS``) -- the same columns the study's record
files give, so views cannot tell which way a snapshot was enriched.

Why it is built the way it is:

* **Complete**: the study dropped every repository whose call failed. Here every asked
  repository gets a row; permanent failures become outcomes (``not_found`` for 404,
  ``gated`` for 401 / gated repositories, ``forbidden`` for 403 / disabled ones,
  ``error`` when transient failures outlasted the retries) and are counted.
* **Resumable**: one SQLite (WAL) row per repository, committed as soon as both calls are
  done. A ``kill -9`` loses only the requests in flight; the next run skips what is cached.
  ``refresh=True`` asks ``model_info`` again for every repository and re-lists commits only
  where the repository's sha changed (a commit history of an unchanged sha cannot change).
* **Polite**: a bounded worker pool and a sliding-window rate limiter over the Hub's
  5-minute windows. The limiter and the retry policy sit in an ``httpx2`` transport that
  the Hub client uses for the duration of the run, so *every* HTTP request -- including
  each page of a commit listing and each retry -- is counted, limited and retried by one
  policy: 429 waits for ``Retry-After`` / ``RateLimit`` (and pauses all workers), 5xx,
  timeouts and connection resets back off exponentially with jitter, a bounded number of
  times.
* **Secret-safe**: the token comes from the argument, ``HF_TOKEN`` or the saved login; it is
  handed to the client only and never logged, cached or written. Error texts stored in the
  cache are short, built from status codes and exception class names, and scrubbed.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx2
import pandas as pd

from llmtrends.schema import COMMIT_RECORD_COLUMNS, HUB_RECORD_COLUMNS, is_bot

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- limits
# The Hub's published limits for its "Hub APIs" bucket, in requests per 5-minute window
# (https://huggingface.co/docs/hub/rate-limits, table of September 2025): anonymous callers
# (per IP) 500, free users 1,000, PRO users 2,500. We default to the anonymous limit
# without a token and to the free-user limit with one; PRO users may raise it.
HUB_WINDOW_SECONDS = 300.0
HUB_API_LIMIT_ANONYMOUS = 500
HUB_API_LIMIT_FREE = 1000
HUB_API_LIMIT_PRO = 2500
# Default of ``max_requests_per_5min``: choose from the caller's tier (see above).
AUTO_LIMIT = -1

OUTCOMES = ("ok", "renamed", "not_found", "gated", "forbidden", "invalid", "error")
# ``invalid``: an id the client refuses before sending anything (``../x``, ``a/b/c``, emoji,
# over 96 characters): no request can ever succeed, so it is recorded once, never retried.
FINAL_OUTCOMES = frozenset({"ok", "renamed", "not_found", "gated", "forbidden", "invalid"})

# Properties asked of model_info: only what we keep (smaller answers, same request count).
MODEL_EXPAND = [
    "author", "sha", "createdAt", "lastModified", "downloads", "likes", "library_name",
    "tags", "cardData", "gated", "private", "disabled",
]

# Batching: a namespace with at least this many repositories to ask is first listed with
# one ``list_models(author=..., expand=MODEL_EXPAND, limit=LISTING_LIMIT)`` request (one
# page of the Hub's listing); repositories found there need no ``model_info`` call.
# A listing that is cut at the limit or misses a repository (moved, private, deleted)
# costs one request more than it saves for that namespace at worst; see docs/enrichment.md.
BATCH_MIN_REPOS = 3
LISTING_LIMIT = 1000

CACHE_FILENAME = "hub_cache.sqlite"
CACHE_SCHEMA_VERSION = 1


@dataclass
class Settings:
    """Timing knobs of the HTTP policy.

    Module-level (``llmtrends.pipeline.hub.SETTINGS``) rather than arguments so that the public
    signature stays what the pipeline calls; tests and benchmarks shrink them to run fast.
    """

    window_seconds: float = HUB_WINDOW_SECONDS  # the rate limiter's window
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_retries: int = 5  # for 5xx, timeouts, resets and malformed answers
    max_rate_limited_retries: int = 10  # for 429 answers
    backoff_base: float = 1.0  # first backoff, doubled each retry
    backoff_cap: float = 60.0
    max_retry_after: float = 600.0  # never sleep longer than this for one 429


SETTINGS = Settings()
# Whether to list namespaces (see BATCH_MIN_REPOS); module-level so the benchmark can
# measure both strategies with the same signature.
BATCH_NAMESPACES = True


# --------------------------------------------------------------------------- results
@dataclass
class HubEnrichment:
    """What :func:`enrich_from_hub` returns.

    ``hub_records`` and ``commit_records`` have exactly ``schema.HUB_RECORD_COLUMNS`` and
    ``schema.COMMIT_RECORD_COLUMNS``, one row per asked repository, in the asked order.
    ``outcomes`` counts ``hub_outcome`` values; ``requests_made`` is the number of HTTP
    requests this run sent (retries and pages included). For a dry run the tables are empty
    and ``planned_requests`` says how many requests the run would make.
    """

    hub_records: pd.DataFrame
    commit_records: pd.DataFrame
    outcomes: dict[str, int]
    requests_made: int
    planned_requests: int = 0
    dry_run: bool = False
    from_cache: int = 0  # repositories answered from the cache without a request


class HubTransientError(Exception):
    """A request kept failing transiently (429 / 5xx / timeout / reset) past its retries."""


# --------------------------------------------------------------------------- limiter
class RateLimiter:
    """At most ``limit`` requests in any ``window`` seconds, shared by all workers.

    A request holds its slot from the moment it is sent until ``window`` seconds after its
    answer came back. Counting from the answer (not the send) makes the bound hold where it
    matters -- at the server, whatever the network latency -- at the price of one latency
    per window. ``pause_until`` lets a 429 stop every worker, not only the one that got it.
    """

    def __init__(self, limit: int | None, window: float) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"max_requests_per_5min must be positive, got {limit}")
        self.limit = limit
        self.window = window
        self._cond = threading.Condition()
        self._in_flight = 0
        self._done: deque[float] = deque()  # completion times within the window
        self._paused_until = 0.0
        self.sent = 0

    def acquire(self) -> None:
        """Block until a request may be sent, then take a slot."""
        with self._cond:
            while True:
                now = time.monotonic()
                while self._done and self._done[0] + self.window <= now:
                    self._done.popleft()
                wait_for = self._paused_until - now
                if wait_for <= 0 and (self.limit is None or self._in_flight + len(self._done) < self.limit):
                    self._in_flight += 1
                    self.sent += 1
                    return
                if wait_for <= 0:
                    wait_for = (self._done[0] + self.window - now) if self._done else 0.05
                self._cond.wait(timeout=max(wait_for, 0.001))

    def release(self) -> None:
        """The request's answer (or failure) is in: its slot frees ``window`` s from now."""
        with self._cond:
            self._in_flight -= 1
            if self.limit is not None:
                self._done.append(time.monotonic())
            self._cond.notify_all()

    def pause_until(self, when: float) -> None:
        """No request is sent before monotonic time ``when`` (a 429 told us to wait)."""
        with self._cond:
            self._paused_until = max(self._paused_until, when)


# --------------------------------------------------------------------------- transport
def _retry_after_seconds(response: httpx2.Response) -> float | None:
    """Seconds a 429 asks us to wait: ``RateLimit`` (r=0;t=N) first, then ``Retry-After``."""
    from huggingface_hub.utils import parse_ratelimit_headers

    info = parse_ratelimit_headers(response.headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    return None


def backoff_delay(attempt: int, settings: Settings, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2**(attempt-1)."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * (2 ** (attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, (url.host or "").lower(), url.port or default)


class PoliteTransport(httpx2.BaseTransport):
    """An httpx2 transport that rate-limits, times out and retries every request to the Hub.

    Only requests to ``hub_url``'s origin are governed (and counted); anything else the
    client sends meanwhile (e.g. huggingface_hub's own telemetry look-ups) passes through
    once, untouched, so that it neither eats the budget nor stalls in our retries.
    """

    RETRY_STATUS = frozenset({408, 500, 502, 503, 504})
    RETRY_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)

    def __init__(self, limiter: RateLimiter, settings: Settings, hub_url: str | None = None,
                 inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()
        self.origin = _origin(httpx2.URL(hub_url)) if hub_url else None
        self.limiter = limiter
        self.settings = settings
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.retries = Counter()  # why requests were retried

    def _count(self, why: str) -> None:
        with self._lock:
            self.retries[why] += 1

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.origin is not None and _origin(request.url) != self.origin:
            return self.inner.handle_request(request)
        s = self.settings
        # The Hub client sends some requests with no timeout at all; a hung connection must
        # not hang the run, so every request gets ours.
        request.extensions = {**request.extensions, "timeout": {
            "connect": s.connect_timeout, "read": s.read_timeout,
            "write": s.read_timeout, "pool": s.read_timeout,
        }}
        transient = limited = 0
        while True:
            self.limiter.acquire()
            try:
                response = self.inner.handle_request(request)
                if response.status_code == 429 or response.status_code in self.RETRY_STATUS:
                    response.read()
                    response.close()
            except self.RETRY_EXCEPTIONS as exc:
                self.limiter.release()
                transient += 1
                self._count(type(exc).__name__)
                if transient > s.max_retries:
                    raise HubTransientError(f"{type(exc).__name__} after {transient} attempts") from None
                time.sleep(backoff_delay(transient, s, self._rng))
                continue
            except BaseException:
                self.limiter.release()
                raise
            self.limiter.release()
            status = response.status_code
            if status == 429:
                limited += 1
                self._count("429")
                if limited > s.max_rate_limited_retries:
                    raise HubTransientError(f"HTTP 429 after {limited} attempts")
                wait_s = _retry_after_seconds(response)
                wait_s = backoff_delay(limited, s, self._rng) if wait_s is None else min(wait_s, s.max_retry_after)
                self.limiter.pause_until(time.monotonic() + wait_s)
                time.sleep(wait_s)
                continue
            if status in self.RETRY_STATUS:
                transient += 1
                self._count(str(status))
                if transient > s.max_retries:
                    raise HubTransientError(f"HTTP {status} after {transient} attempts")
                time.sleep(backoff_delay(transient, s, self._rng))
                continue
            return response

    def close(self) -> None:
        self.inner.close()


class HubSetupError(RuntimeError):
    """The installed huggingface_hub cannot send its requests through the polite transport."""


@dataclass(frozen=True)
class _ClientHooks:
    set_factory: Any  # huggingface_hub.utils.set_client_factory
    get_session: Any  # huggingface_hub.utils.get_session
    request_hook: Any  # what huggingface_hub's own clients run on every request
    previous: Any  # the factory to restore after the run


def _hub_version() -> str:
    from importlib.metadata import version

    return version("huggingface_hub")


def _client_hooks() -> _ClientHooks:
    """What routing huggingface_hub's requests through :class:`PoliteTransport` needs,
    checked before any request: ``set_client_factory``, ``get_session`` and the request
    hook, in an HTTP module built on httpx2 (huggingface_hub 2.x; 1.x uses httpx). Without
    them enrichment stops with :class:`HubSetupError` rather than run unlimited and
    unretried. Only the factory to restore is read from a private name
    (``_GLOBAL_CLIENT_FACTORY``); without it the run restores the default factory."""
    try:
        from huggingface_hub.utils import _http as hf_http
        from huggingface_hub.utils import get_session, set_client_factory
    except ImportError as exc:
        why = f"{type(exc).__name__}: {exc}"
    else:
        hook = getattr(hf_http, "hf_request_event_hook", None)
        missing = [name for name, found in (("set_client_factory", set_client_factory), ("get_session", get_session),
                                            ("hf_request_event_hook", hook)) if not callable(found)]
        why = (f"it has no {', '.join(missing)}" if missing else
               None if getattr(hf_http, "httpx2", None) is httpx2 else "its HTTP client is not httpx2")
    if why is not None:
        raise HubSetupError(f"live Hub enrichment needs huggingface_hub 2.x (an httpx2 client set by "
                            f"set_client_factory); installed huggingface_hub {_hub_version()}: {why}")
    previous = getattr(hf_http, "_GLOBAL_CLIENT_FACTORY", None)
    if previous is None:
        previous = getattr(hf_http, "default_client_factory", None)
        log.warning("huggingface_hub does not tell its client factory; the default one is restored after the run")
    if previous is None:
        raise HubSetupError("live Hub enrichment cannot restore huggingface_hub's client factory after the run "
                            f"(huggingface_hub {_hub_version()} has no default_client_factory)")
    return _ClientHooks(set_client_factory, get_session, hook, previous)


@contextmanager
def _hub_client(transport: PoliteTransport, hooks: _ClientHooks) -> Iterator[None]:
    """Route huggingface_hub's shared HTTP client through ``transport`` for a while.

    ``HfApi`` has no per-instance client; its requests go through one process-wide client
    made by a factory. We swap the factory for the run and restore the previous one after,
    so other users of huggingface_hub in the process get their own client back. Before any
    request, its shared client must be the one our factory made (HubSetupError otherwise).
    """
    made: list[httpx2.Client] = []

    def factory() -> httpx2.Client:
        client = httpx2.Client(
            transport=transport,
            event_hooks={"request": [hooks.request_hook]},
            follow_redirects=True,
            timeout=None,
        )
        made.append(client)
        return client

    hooks.set_factory(factory)
    try:
        session = hooks.get_session()  # made by our factory now, if huggingface_hub uses it
        if not made or session is not made[-1]:
            raise HubSetupError(f"huggingface_hub {_hub_version()} does not use the client set by set_client_factory; "
                                "live Hub enrichment would not be rate-limited")
        yield
    finally:
        hooks.set_factory(hooks.previous)


# --------------------------------------------------------------------------- parsing
def _utc_iso(value: Any) -> str | None:
    """A datetime (or ISO string) as a UTC ISO string, for the cache."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _str_list(value: Any) -> list[str]:
    """A card field that may be a string, a list or missing, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)]


def base_models(card_base: Any, tags: list[str]) -> list[str]:
    """Declared base models: the card's ``base_model`` then ``base_model:`` tags, deduplicated.

    Tags spell relations as ``base_model:finetune:x/y`` (also ``adapter``, ``merge``,
    ``quantized``); the relation word is dropped so that every entry is a repository id.
    """
    out: list[str] = []
    for item in _str_list(card_base):
        if item not in out:
            out.append(item)
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:"):]
        head, sep, tail = rest.partition(":")
        repo = tail if sep and "/" not in head else rest
        if repo and repo not in out:
            out.append(repo)
    return out


def _card_get(card: Any, key: str) -> Any:
    if card is None:
        return None
    if isinstance(card, dict):
        return card.get(key)
    getter = getattr(card, "get", None)
    return getter(key) if getter else getattr(card, key, None)


def info_record(info: Any) -> dict:
    """The fields we keep from a ``ModelInfo``, JSON-ready for the cache."""
    tags = _str_list(info.tags)
    card = info.card_data
    license_ = _card_get(card, "license")
    if isinstance(license_, list):
        license_ = license_[0] if license_ else None
    if not license_:
        license_ = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
    return {
        "hub_id": info.id,
        "author": info.author,
        "sha": info.sha,
        "created_at": _utc_iso(info.created_at),
        "last_modified": _utc_iso(info.last_modified),
        "downloads": info.downloads,
        "likes": info.likes,
        "library": info.library_name,
        "tags": tags,
        "language": _str_list(_card_get(card, "language")),
        "datasets": _str_list(_card_get(card, "datasets")),
        "base_model": base_models(_card_get(card, "base_model"), tags),
        "license": str(license_) if license_ else None,
        "gated": info.gated if info.gated not in (None, False) else None,
        "private": info.private,
        "disabled": info.disabled,
    }


def commits_record(commits: list) -> dict:
    """Commit count, first / last dates and distinct human authors (sorted) of a history."""
    dates = [c.created_at for c in commits if c.created_at is not None]
    authors = sorted({a for c in commits for a in (c.authors or []) if a and not is_bot(a)})
    return {
        "num_commits": len(commits),
        "first_commit": _utc_iso(min(dates)) if dates else None,
        "last_commit": _utc_iso(max(dates)) if dates else None,
        "authors": authors,
    }


def outcome_of(exc: BaseException) -> str:
    """The outcome a failed call stands for: permanent ones are recorded, not retried."""
    from huggingface_hub.errors import DisabledRepoError, GatedRepoError, HfHubHTTPError

    if isinstance(exc, GatedRepoError):
        return "gated"
    if isinstance(exc, DisabledRepoError):
        return "forbidden"
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status in (404, 410):
            return "not_found"
        if status == 401:
            return "gated"
        if status == 403:
            return "forbidden"
    return "error"


def _short_error(exc: BaseException, token: str | None) -> str:
    """A short, token-free description of a failure for the cache and the log."""
    from huggingface_hub.errors import HfHubHTTPError

    text = type(exc).__name__
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        text += f" HTTP {exc.response.status_code}"
    elif isinstance(exc, HubTransientError):
        text += f": {exc}"
    if token:
        text = text.replace(token, "***")
    return text


# --------------------------------------------------------------------------- cache
class HubCacheError(RuntimeError):
    """The cache cannot be used (full disk, read-only folder); the message is one line that
    names the file. What was cached before stays."""


# SQLite's primary result codes that mean the file cannot be written or opened where it is
# (not that it is damaged): full, read-only, no permission, cannot open, I/O error, busy.
_SQLITE_ENVIRONMENT = {3, 5, 6, 8, 10, 13, 14}
_COMMIT_FIELDS = ("num_commits", "first_commit", "last_commit", "authors")


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _iso_or_none(value: Any, what: str) -> None:
    if value is not None:
        if not isinstance(value, str):
            raise TypeError(f"{what} is not a date")
        datetime.fromisoformat(value.replace("Z", "+00:00"))


def _decode(row: tuple) -> dict:
    """One cached row as a record, checked so that nothing later trips over it (ValueError,
    TypeError or KeyError for a damaged row)."""
    name, outcome, fetched_at, sha, info, c_outcome, commits, error = row
    if not isinstance(name, str) or not isinstance(outcome, str):
        raise TypeError("a row without a name or an outcome")
    rec = {"name": name, "outcome": outcome, "fetched_at": fetched_at, "sha": sha,
           "info": json.loads(info) if info else None, "commits_outcome": c_outcome,
           "commits": json.loads(commits) if commits else None, "error": error}
    if rec["info"] is not None:
        if not isinstance(rec["info"], dict):
            raise TypeError(f"{name}: info is not an object")
        for key in ("created_at", "last_modified"):
            _iso_or_none(rec["info"].get(key), f"{name}: {key}")
    if rec["commits"] is not None:
        if not isinstance(rec["commits"], dict):
            raise TypeError(f"{name}: commits is not an object")
        fields = {key: rec["commits"][key] for key in _COMMIT_FIELDS}  # KeyError when one is missing
        if not isinstance(fields["authors"], list):
            raise TypeError(f"{name}: commit authors is not a list")
        for key in ("first_commit", "last_commit"):
            _iso_or_none(fields[key], f"{name}: {key}")
    return rec


def open_cache(path: Path, filename: str) -> tuple[Path, sqlite3.Connection]:
    """A cache database (WAL) at ``path``, or ``path/filename`` when ``path`` is a folder."""
    path = Path(path)
    if path.is_dir() or path.suffix == "":
        path.mkdir(parents=True, exist_ok=True)
        path = path / filename
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    return path, _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode: readers never wait for the writer, a kill loses nothing committed."""
    db = sqlite3.connect(str(path), timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class HubCache:
    """One row per repository: what was fetched, when, and the outcome (SQLite, WAL).

    Written by one thread (the coordinator), one transaction per repository, so a kill at
    any moment leaves every committed repository intact and nothing half-written. A damaged
    file (not a database, a malformed page, a row that does not decode) is renamed
    ``hub_cache.sqlite.damaged-<UTC time>`` with one warning and a new cache is started;
    one that cannot be written (full disk, read-only folder) raises :class:`HubCacheError`.
    """

    def __init__(self, path: Path) -> None:
        path = Path(path)
        try:
            if path.is_dir() or path.suffix == "":
                path.mkdir(parents=True, exist_ok=True)
                path = path / CACHE_FILENAME
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HubCacheError(f"{path}: cannot create the Hub cache folder ({exc.strerror or exc})") from None
        self.path = path
        self.db: sqlite3.Connection | None = None
        self._open_or_set_aside()

    def _open(self) -> None:
        self.db = _connect(self.path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS repos ("
            " name TEXT PRIMARY KEY, outcome TEXT NOT NULL, fetched_at TEXT NOT NULL,"
            " sha TEXT, info TEXT, commits_outcome TEXT, commits TEXT, error TEXT,"
            " schema_version INTEGER NOT NULL)"
        )
        self.db.commit()

    def _open_or_set_aside(self) -> None:
        try:
            self._open()
        except sqlite3.Error as exc:
            self._unusable_or_damaged(exc)
            self._open_again()

    def _open_again(self) -> None:
        try:
            self._open()
        except sqlite3.Error as exc:
            raise HubCacheError(f"{self.path}: cannot start a new Hub cache ({exc})") from None

    def _unusable_or_damaged(self, exc: Exception) -> None:
        """Raise HubCacheError when the file cannot be used where it is; else set it aside."""
        if isinstance(exc, sqlite3.Error) and _sqlite_code(exc) in _SQLITE_ENVIRONMENT:
            self.close()
            raise HubCacheError(f"{self.path}: cannot use the Hub cache ({exc})") from None
        self.close()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        try:
            self.path.rename(aside)
            for extra in ("-wal", "-shm"):  # SQLite's side files belong to the old file
                side = self.path.with_name(self.path.name + extra)
                if side.exists():
                    side.rename(aside.with_name(aside.name + extra))
        except OSError as err:
            raise HubCacheError(f"{self.path}: the Hub cache is damaged ({type(exc).__name__}: {exc}) and cannot "
                                f"be set aside ({err.strerror or err})") from None
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        log.warning("%s: the Hub cache is damaged (%s: %s); set aside as %s and started again "
                    "(its repositories are asked again)", self.path, type(exc).__name__, reason, aside.name)

    def load(self) -> dict[str, dict]:
        """Every cached repository, decoded; an empty cache after setting a damaged one aside."""
        try:
            rows = self.db.execute(
                "SELECT name, outcome, fetched_at, sha, info, commits_outcome, commits, error"
                " FROM repos WHERE schema_version = ?", (CACHE_SCHEMA_VERSION,)
            ).fetchall()
            return {rec["name"]: rec for rec in map(_decode, rows)}
        except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
            self._unusable_or_damaged(exc)
            self._open_again()
            return {}

    def put(self, rec: dict) -> None:
        """Store (replace) one repository's record and commit; HubCacheError when the file
        cannot take it (full disk): what was committed before stays."""
        try:
            self._put(rec)
        except sqlite3.Error as exc:
            raise HubCacheError(f"{self.path}: cannot write the Hub cache ({exc}); the repositories "
                                "cached before are kept") from None

    def _put(self, rec: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO repos (name, outcome, fetched_at, sha, info, commits_outcome,"
            " commits, error, schema_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec["name"], rec["outcome"], rec["fetched_at"], rec.get("sha"),
             json.dumps(rec["info"]) if rec.get("info") is not None else None,
             rec.get("commits_outcome"),
             json.dumps(rec["commits"]) if rec.get("commits") is not None else None,
             rec.get("error"), CACHE_SCHEMA_VERSION),
        )
        self.db.commit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


# --------------------------------------------------------------------------- fetching
@dataclass
class _Fetcher:
    api: Any
    settings: Settings
    token: str | None
    rng: random.Random = field(default_factory=random.Random)

    def _call(self, fn, *args, **kwargs):
        """Call the client, retrying answers that were cut or not JSON (bounded)."""
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except ValueError as exc:  # a cut or non-JSON answer (json.JSONDecodeError)
                attempt += 1
                if attempt > self.settings.max_retries:
                    raise HubTransientError(f"malformed answer ({type(exc).__name__}) after {attempt} attempts") from None
                time.sleep(backoff_delay(attempt, self.settings, self.rng))

    def list_namespace(self, namespace: str, names: list[str]) -> dict[str, dict | None]:
        """One listing of a namespace: ``name -> info record`` for the asked names it holds.

        Names the listing does not hold (moved, private, deleted, cut off by the limit), or
        holds twice, map to None and are asked one by one; a failed listing maps all to None.
        """
        from huggingface_hub.errors import HfHubHTTPError

        try:
            listed = self._call(lambda: list(self.api.list_models(
                author=namespace, expand=MODEL_EXPAND, limit=LISTING_LIMIT)))
        except (HfHubHTTPError, HubTransientError) as exc:
            log.debug("listing %s failed (%s); asking its repositories one by one",
                      namespace, _short_error(exc, self.token))
            return {n: None for n in names}
        by_id: dict[str, list] = {}
        for info in listed:
            by_id.setdefault(str(info.id).lower(), []).append(info)
        out: dict[str, dict | None] = {}
        for name in names:
            hits = by_id.get(name.lower(), [])
            out[name] = info_record(hits[0]) if len(hits) == 1 else None
        return out

    def fetch(self, name: str, cached: dict | None, listed: dict | None = None) -> dict:
        """Both calls for one repository; never raises for a Hub-side failure.

        ``listed`` is the repository's info from a namespace listing, which saves the
        ``model_info`` request.
        """
        from huggingface_hub.errors import HfHubHTTPError

        rec: dict = {"name": name, "fetched_at": datetime.now(timezone.utc).isoformat(),
                     "sha": None, "info": None, "commits_outcome": None, "commits": None, "error": None}
        if listed is not None:
            rec["info"] = listed
        else:
            try:
                info = self._call(self.api.model_info, name, expand=MODEL_EXPAND,
                                  timeout=self.settings.read_timeout)
                rec["info"] = info_record(info)
            except (HfHubHTTPError, HubTransientError) as exc:
                rec["outcome"] = outcome_of(exc)
                rec["error"] = _short_error(exc, self.token)
                return rec
        rec["sha"] = rec["info"]["sha"]
        hub_id = rec["info"]["hub_id"] or name
        rec["outcome"] = "renamed" if hub_id.lower() != name.lower() else "ok"
        if (cached is not None and cached.get("commits_outcome") == "ok" and cached.get("sha")
                and cached["sha"] == rec["sha"]):
            rec["commits_outcome"], rec["commits"] = "ok", cached["commits"]  # same sha, same history
            return rec
        try:
            commits = self._call(lambda: list(self.api.list_repo_commits(name)))
            rec["commits"] = commits_record(commits)
            rec["commits_outcome"] = "ok"
        except (HfHubHTTPError, HubTransientError) as exc:
            rec["commits_outcome"] = outcome_of(exc)
            rec["error"] = "commits: " + _short_error(exc, self.token)
        return rec


def invalid_record(name: str) -> dict | None:
    """The cache record of an id the Hub client refuses before sending (outcome ``invalid``,
    the client's reason as the error), or None for an id it accepts."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError as exc:
        return {"name": name, "outcome": "invalid", "fetched_at": datetime.now(timezone.utc).isoformat(),
                "sha": None, "info": None, "commits_outcome": None, "commits": None,
                "error": f"invalid repository id: {str(exc).splitlines()[0][:120]}"}
    return None


def _needs_fetch(cached: dict | None, refresh: bool) -> bool:
    """Whether a repository must be asked again: new, refresh, or not finished last time."""
    if cached is None or refresh:
        return True
    if cached["outcome"] not in FINAL_OUTCOMES:
        return True
    # model_info answered but the commit listing failed transiently: finish it.
    return cached["outcome"] in ("ok", "renamed") and cached.get("commits_outcome") == "error"


def plan_batches(todo: list[str], batch: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Split the names to ask into namespace listings and single repositories."""
    if not batch:
        return {}, list(todo)
    by_ns: dict[str, list[str]] = {}
    for name in todo:
        if "/" in name:
            by_ns.setdefault(name.split("/", 1)[0], []).append(name)
    listings = {ns: ns_names for ns, ns_names in by_ns.items() if len(ns_names) >= BATCH_MIN_REPOS}
    batched = {n for ns_names in listings.values() for n in ns_names}
    return listings, [n for n in todo if n not in batched]


def planned_requests(todo: list[str], cached: dict[str, dict], refresh: bool, batch: bool) -> int:
    """Requests a run would make if every answer is final on the first try and every
    commit history fits one page: listings + model_info calls + commit listings."""
    listings, singles = plan_batches(todo, batch)
    commits = sum(0 if (refresh and cached.get(n) and cached[n].get("sha")) else 1 for n in todo)
    return len(listings) + len(singles) + commits


def _resolve_limit(max_requests_per_5min: int | None, token: str | None) -> int | None:
    """The effective limit: explicit, none, or the published one for the caller's tier."""
    if max_requests_per_5min is None:
        return None
    if max_requests_per_5min != AUTO_LIMIT:
        return int(max_requests_per_5min)
    if token is None:
        from huggingface_hub import get_token

        token = get_token()
    return HUB_API_LIMIT_FREE if token else HUB_API_LIMIT_ANONYMOUS


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar on stderr (rate and ETA), shown on a terminal or when asked."""
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="repo", desc="Hub enrichment", file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------- frames
def _ts(values: list) -> pd.Series:
    """ISO strings (or None) as tz-naive UTC timestamps."""
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601").dt.tz_localize(None)


def build_frames(names: list[str], cache: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two record tables for ``names`` from cached records (one row per name)."""
    hub_rows, commit_rows = [], []
    for name in names:
        rec = cache.get(name)
        info = (rec or {}).get("info") or {}
        ok = rec is not None and rec["outcome"] in ("ok", "renamed")
        hub_rows.append({
            "name": name,
            "hub_id": info.get("hub_id") if ok else None,
            "hub_outcome": rec["outcome"] if rec else "error",
            "author": info.get("author") if ok else None,
            "created_at": info.get("created_at") if ok else None,
            "last_modified": info.get("last_modified") if ok else None,
            "downloads": info.get("downloads") if ok else None,
            "likes": info.get("likes") if ok else None,
            "library": info.get("library") if ok else None,
            "tags": list(info.get("tags") or []) if ok else [],
            "language": list(info.get("language") or []) if ok else [],
            "datasets": list(info.get("datasets") or []) if ok else [],
            "base_model": list(info.get("base_model") or []) if ok else [],
            "license": info.get("license") if ok else None,
        })
        commits = (rec or {}).get("commits") if ok and rec.get("commits_outcome") == "ok" else None
        commit_rows.append({
            "name": name,
            "num_commits": commits["num_commits"] if commits else None,
            "first_commit": commits["first_commit"] if commits else None,
            "last_commit": commits["last_commit"] if commits else None,
            "authors": list(commits["authors"]) if commits else [],
        })
    return _frame(hub_rows, HUB_RECORD_COLUMNS), _frame(commit_rows, COMMIT_RECORD_COLUMNS)


_TIMESTAMP_COLUMNS = frozenset({"created_at", "last_modified", "first_commit", "last_commit"})
_INTEGER_COLUMNS = frozenset({"downloads", "likes", "num_commits"})


def _frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows as a frame with fixed dtypes: timestamps, nullable integers, else objects.

    Text and list columns stay ``object`` with ``None`` for missing, so that an empty
    enrichment reads the same as a full one whatever pandas infers.
    """
    data = {}
    for col in columns:
        values = [row[col] for row in rows]
        if col in _TIMESTAMP_COLUMNS:
            data[col] = _ts(values)
        elif col in _INTEGER_COLUMNS:
            data[col] = pd.array(values, dtype="Int64")
        else:
            data[col] = pd.Series(values, dtype="object")
    return pd.DataFrame(data, columns=list(columns))


# --------------------------------------------------------------------------- entry point
def enrich_from_hub(repo_ids: list[str], *, cache_path: Path, workers: int = 8,
                    max_requests_per_5min: int | None = AUTO_LIMIT, refresh: bool = False,
                    progress: bool | None = None, endpoint: str | None = None,
                    token: str | None = None, dry_run: bool = False) -> HubEnrichment:
    """Enrich repositories from the live Hub API, through the on-disk cache.

    Parameters
    ----------
    repo_ids
        Repository ids as the leaderboard spells them; duplicates are asked once.
    cache_path
        SQLite cache file, or a folder to hold ``hub_cache.sqlite``. Repositories already
        cached with a final outcome are not asked again (unless ``refresh``).
    workers
        Size of the worker pool (concurrent repositories).
    max_requests_per_5min
        Request limit over any 5-minute window. Default: the Hub's published limit for the
        caller's tier (500 anonymous, 1,000 with a token); ``None`` = no limit.
    refresh
        Ask ``model_info`` again for every repository; commits are re-listed only where the
        repository's sha changed.
    progress
        Progress bar on stderr: ``None`` = only on a terminal.
    endpoint
        Hub URL; default ``HF_ENDPOINT`` / https://huggingface.co.
    token
        Access token; default ``HF_TOKEN`` or the saved login. Never logged or stored.
    dry_run
        Make no request; print and return how many requests a run would make (at least:
        long commit histories take one more request per 50 commits).
    """
    from huggingface_hub import HfApi

    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    names = list(dict.fromkeys(str(r).strip() for r in repo_ids))
    httpx_log = logging.getLogger("httpx2")
    if httpx_log.level == logging.NOTSET:  # one INFO line per request would drown the summary
        httpx_log.setLevel(logging.WARNING)
    cache = HubCache(cache_path)
    try:
        cached = cache.load()
        todo = [n for n in names if _needs_fetch(cached.get(n), refresh)
                and (cached.get(n) or {}).get("outcome") != "invalid"]  # not even with --refresh
        invalid = [rec for rec in map(invalid_record, todo) if rec is not None]
        refused = {rec["name"] for rec in invalid}
        todo = [n for n in todo if n not in refused]
        batch = BATCH_NAMESPACES
        planned = planned_requests(todo, cached, refresh, batch)
        if dry_run:
            print(f"dry run: {len(names):,} repositories, {len(names) - len(todo) - len(invalid):,} cached, "
                  f"{len(invalid):,} invalid ids, {len(todo):,} to ask; about {planned:,} Hub API requests",
                  file=sys.stderr)
            hub, com = build_frames([], {})
            return HubEnrichment(hub, com, {}, 0, planned_requests=planned, dry_run=True,
                                 from_cache=len(names) - len(todo))
        hooks = _client_hooks() if todo else None  # before any request (HubSetupError)
        limit = _resolve_limit(max_requests_per_5min, token)
        settings = SETTINGS
        limiter = RateLimiter(limit, settings.window_seconds)
        api = HfApi(endpoint=endpoint, token=token, library_name="llmtrends")
        transport = PoliteTransport(limiter, settings, hub_url=api.endpoint)
        log.info("Hub enrichment: %d repositories, %d cached, %d to ask, %d workers, limit %s/%.0fs",
                 len(names), len(names) - len(todo), len(todo), workers, limit, settings.window_seconds)
        for rec in invalid:  # recorded without a request: none could ever succeed
            cache.put(rec)
            cached[rec["name"]] = rec
        if todo:
            fetcher = _Fetcher(api, settings, token)
            bar = _progress_bar(len(todo), progress)
            with _hub_client(transport, hooks), ThreadPoolExecutor(max_workers=workers,
                                                            thread_name_prefix="hub") as pool:
                listings, singles = plan_batches(todo, batch)
                # Work items: ("list", namespace, names) first, then ("repo", name, info).
                queue: deque[tuple[str, str, Any]] = deque(
                    [("list", ns, ns_names) for ns, ns_names in listings.items()]
                    + [("repo", n, None) for n in singles])
                pending: dict[Future, str] = {}

                def submit() -> None:
                    # Keep few items in flight (2 per worker): a kill loses little.
                    while queue and len(pending) < 2 * workers:
                        kind, key, arg = queue.popleft()
                        if kind == "list":
                            pending[pool.submit(fetcher.list_namespace, key, arg)] = kind
                        else:
                            pending[pool.submit(fetcher.fetch, key, cached.get(key), arg)] = kind

                submit()
                try:
                    while pending:
                        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                        for fut in done:
                            kind = pending.pop(fut)
                            if kind == "list":
                                # its repositories go next, so listed info is not held long
                                found = fut.result()
                                queue.extendleft(reversed([("repo", n, info) for n, info in found.items()]))
                                continue
                            rec = fut.result()
                            cache.put(rec)
                            cached[rec["name"]] = rec
                            if bar is not None:
                                bar.update(1)
                        submit()
                finally:
                    for fut in pending:
                        fut.cancel()
                    if bar is not None:
                        bar.close()
            transport.close()
        hub, com = build_frames(names, cached)
        outcomes = dict(Counter(hub["hub_outcome"]))
        commit_failures = Counter(
            cached[n].get("commits_outcome") for n in names
            if n in cached and cached[n]["outcome"] in ("ok", "renamed") and cached[n].get("commits_outcome") != "ok"
        )
        log.info("Hub enrichment done: %d requests; outcomes %s; commit listing failures %s; retries %s",
                 limiter.sent, outcomes, dict(commit_failures), dict(transport.retries))
        return HubEnrichment(hub, com, outcomes, limiter.sent, planned_requests=planned,
                             from_cache=len(names) - len(todo))
    finally:
        cache.close()


# --------------------------------------------------------------------------- hub board
# The hub board (issue 20, llmtrends.pipeline.hubboard) lists the Hub's models and reads Community
# Evals leaderboards through the same transport: every request is rate limited, retried and
# counted by the policy above.

# What a listing asks of each model: what the hub board normalizes, nothing more.
LISTING_EXPAND = [
    "author", "createdAt", "lastModified", "downloads", "likes", "library_name", "pipeline_tag",
    "tags", "safetensors", "evalResults",
]
# Models per listing request: the most the Hub's /api/models answers with in one page.
LISTING_PAGE_SIZE = 1000


@dataclass
class HubSession:
    """A client whose requests go through the polite transport, for one run."""

    api: Any
    limiter: RateLimiter
    transport: PoliteTransport
    token: str | None

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.limiter.sent

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` with cut or non-JSON answers retried (bounded)."""
        return _Fetcher(self.api, SETTINGS, self.token)._call(fn, *args, **kwargs)


@contextmanager
def session(*, endpoint: str | None = None, token: str | None = None,
            max_requests_per_5min: int | None = AUTO_LIMIT) -> Iterator[HubSession]:
    """A :class:`HubSession` for the duration of a ``with`` block (see :func:`enrich_from_hub`
    for ``max_requests_per_5min``; the token is never logged or stored)."""
    from huggingface_hub import HfApi

    httpx_log = logging.getLogger("httpx2")
    if httpx_log.level == logging.NOTSET:
        httpx_log.setLevel(logging.WARNING)
    hooks = _client_hooks()  # before any request (HubSetupError)
    limiter = RateLimiter(_resolve_limit(max_requests_per_5min, token), SETTINGS.window_seconds)
    api = HfApi(endpoint=endpoint, token=token, library_name="llmtrends")
    transport = PoliteTransport(limiter, SETTINGS, hub_url=api.endpoint)
    try:
        with _hub_client(transport, hooks):
            yield HubSession(api, limiter, transport, token)
    finally:
        transport.close()


def listing_params(task: str, page_size: int = LISTING_PAGE_SIZE) -> dict[str, Any]:
    """The query of ``HfApi.list_models(pipeline_tag=task, sort="created_at",
    expand=LISTING_EXPAND, limit=page_size)``, newest first (``direction=-1``, the Hub's
    default for this sort, said explicitly)."""
    return {"pipeline_tag": task, "sort": "createdAt", "direction": -1,
            "expand": list(LISTING_EXPAND), "limit": int(page_size)}


def list_model_pages(sess: HubSession, *, params: dict | None = None,
                     url: str | None = None) -> Iterator[tuple[list[dict], str | None]]:
    """The Hub's model listing one page at a time: ``(items, next_page_url)``.

    Starts at ``/api/models?<params>``, or at ``url``, a next-page link a previous run saved.
    ``HfApi.list_models`` yields models and keeps the next-page link to itself, yet that link
    is what a listing must save to resume after an interruption; so the pages are walked here,
    with the client's own session, headers and error mapping. Items are the listing's JSON
    objects (see ``LISTING_EXPAND``): the hub board reads a few fields of each, and constructing
    a ``ModelInfo`` for each costs about 8 times that (benchmarks/README.md, the hub board).
    """
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    headers = build_hf_headers(token=sess.token, library_name="llmtrends")
    next_url = url or f"{sess.api.endpoint}/api/models"
    query = None if url else params

    def fetch(page_url: str, page_query: dict | None):
        response = get_session().get(page_url, params=page_query, headers=headers,
                                     timeout=SETTINGS.read_timeout)
        hf_raise_for_status(response)
        items = response.json()  # a cut answer raises ValueError: retried by sess.call
        if not isinstance(items, list):
            raise ValueError("the model listing did not answer with a list")
        return items, response.links.get("next", {}).get("url")

    while next_url:
        items, following = sess.call(fetch, next_url, query)
        yield items, following
        next_url, query = following, None


def dataset_leaderboard(sess: HubSession, dataset_id: str) -> list:
    """Every result on a benchmark's leaderboard, fine-tunes included (``base_model_only=False``:
    by default the Hub leaves out every model that declares a base model)."""
    return sess.call(sess.api.get_dataset_leaderboard, dataset_id, base_model_only=False,
                     timeout=SETTINGS.read_timeout)


def model_infos(sess: HubSession, repo_ids: list[str], *, expand: list[str] | None = None,
                workers: int = 8, on_result=None) -> dict[str, tuple[str, Any, str | None]]:
    """``model_info(id, expand=...)`` for each repository, concurrently: ``id -> (outcome,
    ModelInfo or None, error)``, the outcome one of :data:`OUTCOMES`. ``on_result(id, outcome,
    info, error)`` is called as each answer arrives, from the calling thread (to store it at
    once). Never raises for a Hub-side failure."""
    from huggingface_hub.errors import HfHubHTTPError

    fields = list(expand or LISTING_EXPAND)

    def one(repo_id: str) -> tuple[str, Any, str | None]:
        try:
            info = sess.call(sess.api.model_info, repo_id, expand=fields, timeout=SETTINGS.read_timeout)
        except (HfHubHTTPError, HubTransientError) as exc:
            return outcome_of(exc), None, _short_error(exc, sess.token)
        return ("renamed" if str(info.id).lower() != repo_id.lower() else "ok"), info, None

    out: dict[str, tuple[str, Any, str | None]] = {}
    todo = list(dict.fromkeys(repo_ids))
    if not todo:
        return out
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="hub") as pool:
        futures = {pool.submit(one, r): r for r in todo}
        for fut in as_completed(futures):
            repo_id = futures[fut]
            out[repo_id] = fut.result()
            if on_result is not None:
                on_result(repo_id, *out[repo_id])
    return out
