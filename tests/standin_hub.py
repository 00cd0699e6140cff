"""A stand-in for the Hugging Face Hub on 127.0.0.1, for tests and benchmarks.

Machines here cannot reach huggingface.co, yet the enrichment step (``llmtrends.pipeline.hub``) and
the v2 loader (``datasets.load_dataset("open-llm-leaderboard/contents")``) must be proven
with the *real* clients. This module serves the endpoints those clients call, answering
with the real records the original study fetched from the Hub:

* ``GET /api/models/{repo_id}`` and ``/api/models/{repo_id}/revision/{rev}`` (``model_info``)
  from ``open-llm-leaderboard-v1/hub_models.csv`` (the *last* record of each name). A record
  whose author differs from the asked namespace is answered as the Hub answers for a moved
  repository: with the id ``author/model``.
* ``GET /api/models/{repo_id}/commits/{rev}`` (``list_repo_commits``) from ``repo_commits.csv``,
  paginated with ``Link: <...>; rel="next"`` headers like the Hub. Each history has
  ``num_of_commits`` commits spread evenly between ``first_commit`` and ``last_commit``, every
  listed author on at least one of them, plus bot co-authors (``system`` on the initial
  commit, ``SFconvertbot`` on a middle one) that the client must drop.
* ``GET /api/models?author=...&expand=...`` (``list_models``), paginated the same way.
* The dataset repository ``open-llm-leaderboard/contents``: ``/api/datasets/...`` info,
  ``tree``, ``paths-info`` and ``/datasets/.../resolve/...`` (GET and HEAD, byte ranges),
  serving ``open-llm-leaderboard-contents.parquet`` as ``data/train-00000-of-00001.parquet``
  under one fixed revision sha, with a README whose YAML declares the ``train`` split.
* The dataset's history: ``/api/datasets/.../commits/main`` (``list_repo_commits``, newest
  first, paginated) lists one revision per file of ``open-llm-leaderboard-contents-history/``
  (committed at noon UTC of the file's day) and, last, the current file's revision; each
  revision's info, tree and files are served at its sha (see "dataset history" below).

Faults can be injected at a rate (seeded RNG) or queued per request: latency, 429 with
``Retry-After``, 500/503, a hung connection, 404, 401 (gated), 403, malformed JSON.
Every request is recorded with its arrival time so that tests can measure rates and check
that nothing was requested twice.

The data folder comes from ``LLMTRENDS_SHARED_DATA`` (default ``../shared/data`` relative to
the repository root); a missing folder is an error, never a silent skip.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASET_REPO = "open-llm-leaderboard/contents"
DATASET_FILE = "data/train-00000-of-00001.parquet"
COMMITS_PAGE_SIZE = 50  # commits per page of /commits, like the Hub's pagination
MODELS_PAGE_SIZE = 1000  # models per page of /api/models
FAULT_KINDS = ("429", "500", "503", "hang", "malformed", "404", "401", "403", "reset")
TRANSIENT_FAULTS = ("429", "500", "503", "hang", "malformed", "reset")
BOT_CO_AUTHORS = ("system", "SFconvertbot")

README = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
license: apache-2.0
---

# open-llm-leaderboard/contents (stand-in)

Served by tests/standin_hub.py from the shared real data.
"""


def shared_data_dir() -> Path:
    """The folder of real leaderboard data; raises if it is missing (never skip silently)."""
    path = Path(os.environ.get("LLMTRENDS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    needed = [
        path / "open-llm-leaderboard-v1" / "hub_models.csv",
        path / "open-llm-leaderboard-v1" / "repo_commits.csv",
        path / "open-llm-leaderboard-contents.parquet",
    ]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            "stand-in Hub: real data missing (set LLMTRENDS_SHARED_DATA): " + ", ".join(missing)
        )
    return path


def _literal_list(value) -> list[str]:
    """A Python-literal list string of the study's files as a list (safe parser, no eval)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    text = str(value).strip()
    if text.startswith("["):
        parsed = ast.literal_eval(text)
        return [str(v) for v in parsed]
    return [text] if text else []


def _iso(ts: str) -> str:
    """'2024-03-22 14:08:40+00:00' -> the Hub's '2024-03-22T14:08:40.000Z'."""
    dt = datetime.fromisoformat(ts).astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fake_sha(*parts: str) -> str:
    return hashlib.sha1("\x00".join(parts).encode()).hexdigest()


@dataclass
class HubData:
    """The records the stand-in serves, keyed by the asked repository id."""

    models: dict[str, dict]  # name -> model_info JSON
    commits: dict[str, list[dict]]  # name -> commits JSON, newest first
    parquet: bytes
    dataset_sha: str
    history: list | None = None  # the dataset's earlier revisions, read on first use (dataset history)

    @classmethod
    def load(cls, data_dir: Path | None = None) -> "HubData":
        """Read the shared real records into API-shaped JSON documents."""
        data_dir = data_dir or shared_data_dir()
        v1 = data_dir / "open-llm-leaderboard-v1"
        hub = pd.read_csv(v1 / "hub_models.csv", index_col=0, keep_default_na=False, na_values=[""])
        hub = hub.drop_duplicates("name", keep="last")
        models = {}
        for rec in hub.to_dict("records"):
            models[rec["name"]] = model_json(rec)
        commits_df = pd.read_csv(v1 / "repo_commits.csv", index_col=0)
        commits = {}
        for rec in commits_df.to_dict("records"):
            commits[rec["name"]] = commits_json(rec)
        parquet = (data_dir / "open-llm-leaderboard-contents.parquet").read_bytes()
        return cls(models, commits, parquet, hashlib.sha1(parquet).hexdigest())


def model_json(rec: dict) -> dict:
    """One hub_models.csv record as the JSON of GET /api/models/{id}."""
    name = rec["name"]
    model_part = name.split("/", 1)[1] if "/" in name else name
    namespace = name.split("/", 1)[0] if "/" in name else None
    author = rec["author"]
    # A moved repository (or a legacy id without namespace, like "gpt2") is answered with
    # the id it lives under now: author/model.
    hub_id = name if author == namespace else f"{author}/{model_part}"
    tags = _literal_list(rec.get("tags"))
    card: dict = {}
    language = _literal_list(rec.get("language"))
    if language:
        card["language"] = language
    datasets = _literal_list(rec.get("datasets"))
    if datasets:
        card["datasets"] = datasets
    base = rec.get("base_model")
    if isinstance(base, str) and base.strip():
        card["base_model"] = ast.literal_eval(base) if base.strip().startswith("[") else base
    licenses = [t.split(":", 1)[1] for t in tags if t.startswith("license:")]
    if licenses:
        card["license"] = licenses[0]
    doc = {
        "_id": _fake_sha("id", name)[:24],
        "id": hub_id,
        "modelId": hub_id,
        "author": author,
        "sha": _fake_sha("sha", name, rec["last_modified"]),
        "createdAt": _iso(rec["created_at"]),
        "lastModified": _iso(rec["last_modified"]),
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": int(rec["downloads"]),
        "tags": tags,
        "cardData": card,
        "siblings": [{"rfilename": ".gitattributes"}, {"rfilename": "config.json"}],
    }
    lib = rec.get("library_name")
    if isinstance(lib, str) and lib:
        doc["library_name"] = lib
    return doc


def commits_json(rec: dict) -> list[dict]:
    """One repo_commits.csv record as the commit list of GET /api/models/{id}/commits/main.

    ``num_of_commits`` commits, evenly spaced (whole seconds) from first to last commit; the
    listed authors are dealt round-robin so each appears at least once; bots are added as
    co-authors so that a client that keeps them is caught.
    """
    n = int(rec["num_of_commits"])
    authors = _literal_list(rec["authors"])
    first = datetime.fromisoformat(rec["first_commit"]).astimezone(timezone.utc)
    last = datetime.fromisoformat(rec["last_commit"]).astimezone(timezone.utc)
    span = (last - first).total_seconds()
    out = []
    for k in range(n):  # k = 0 is the oldest
        when = first if k == 0 else last if k == n - 1 else first + timedelta(seconds=int(span * k / (n - 1)))
        who = [a for i, a in enumerate(authors) if i % n == k] or authors[k % len(authors):][:1]
        if k == 0:
            who = [BOT_CO_AUTHORS[0], *who]
        if k == n // 2 and n > 2:
            who = [*who, BOT_CO_AUTHORS[1]]
        out.append({
            "id": _fake_sha("commit", rec["name"], str(k)),
            "title": "initial commit" if k == 0 else f"Update ({k})",
            "message": "",
            "authors": [{"user": a, "avatar": None} for a in who],
            "date": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        })
    out.reverse()  # the Hub lists newest first
    return out


@dataclass
class Faults:
    """Fault injection plan. ``rate`` of requests get a fault drawn from ``kinds``."""

    rate: float = 0.0
    kinds: tuple[str, ...] = TRANSIENT_FAULTS
    latency: float = 0.0  # seconds added to every request
    retry_after: int = 1  # seconds announced in 429 responses
    hang_seconds: float = 3.0  # how long a hung request sleeps before answering
    seed: int = 0
    only_api: bool = True  # faults only on /api/models* (not dataset downloads)


@dataclass
class RequestRecord:
    """One request as the stand-in saw it."""

    t: float  # time.monotonic() at arrival
    method: str
    path: str
    query: str
    repo_id: str | None
    kind: str  # model_info / commits / list_models / dataset / other
    status: int
    fault: str | None
    authorization: str | None


@dataclass
class _State:
    data: HubData
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    queued: list[tuple[str | None, str]] = field(default_factory=list)  # (repo substring, kind)
    status_override: dict[str, int] = field(default_factory=dict)  # repo id -> 404/401/403
    requests: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


_MODEL_RE = re.compile(r"^/api/models/(?P<rest>.+)$")


def _parse_model_path(rest: str) -> tuple[str, str, str | None]:
    """'ns/name/commits/main' -> (repo_id, 'commits', 'main'); also revision/… and bare ids."""
    parts = rest.split("/")
    for i, part in enumerate(parts):
        if part in ("commits", "revision") and i >= 1:
            return "/".join(parts[:i]), part, "/".join(parts[i + 1:]) or None
    return rest, "info", None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers must not wait for delayed ACKs
    server: "_Server"
    # request kinds that get faults drawn at the fault rate (queued faults go to any kind)
    RATE_FAULT_KINDS = ("model_info", "commits", "list_models")

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None,
              content_type: str = "application/json", head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head and self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, status: int, doc, headers: dict | None = None, head: bool = False) -> None:
        self._send(status, json.dumps(doc).encode(), headers, head=head)

    def _error(self, status: int, code: str | None = None, message: str = "") -> None:
        headers = {}
        if code:
            headers["X-Error-Code"] = code
        if message:
            headers["X-Error-Message"] = message
        self._json(status, {"error": message or code or str(status)}, headers)

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    # ------------------------------------------------------------------ dispatch
    def _handle(self, method: str) -> None:
        state = self.server.state
        arrival = time.monotonic()
        split = urlsplit(self.path)
        path = unquote(split.path)
        kind, repo_id = self._classify(path)
        fault = self._pick_fault(kind, repo_id)
        record = RequestRecord(arrival, method, path, split.query, repo_id, kind, 0, fault,
                               self.headers.get("Authorization"))
        with state.lock:
            state.requests.append(record)
        if state.faults.latency:
            state.stopping.wait(state.faults.latency)
        body = b""
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
        status = self._fault_response(fault) if fault else None
        if status is None:
            status = self._route(method, path, split.query, kind, repo_id, body)
        record.status = status

    def _pick_fault(self, kind: str, repo_id: str | None) -> str | None:
        state = self.server.state
        with state.lock:
            if repo_id is not None and repo_id in state.status_override and kind in ("model_info", "commits"):
                return str(state.status_override[repo_id])
            for i, (match, fkind) in enumerate(state.queued):
                if match is None or (repo_id is not None and match in repo_id):
                    del state.queued[i]
                    return fkind
            f = state.faults
            if f.rate <= 0 or (f.only_api and kind not in self.RATE_FAULT_KINDS):
                return None
            if state.rng.random() < f.rate:
                return state.rng.choice(f.kinds)
        return None

    def _fault_response(self, fault: str) -> int | None:
        state = self.server.state
        if fault == "429":
            self._json(429, {"error": "rate limited"}, {
                "Retry-After": str(state.faults.retry_after),
                "RateLimit": f'"api";r=0;t={state.faults.retry_after}',
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
            })
            return 429
        if fault in ("500", "503"):
            self._error(int(fault), message="stand-in server error")
            return int(fault)
        if fault == "hang":
            state.stopping.wait(state.faults.hang_seconds)
            self.close_connection = True
            return -1  # the client has given up long before
        if fault == "reset":
            self.close_connection = True
            try:
                import socket
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return -2
        if fault == "malformed":
            self._send(200, b'{"id": "truncated", "tags": [', {})
            return 200
        if fault == "404":
            self._error(404, "RepoNotFound", "Repository not found")
            return 404
        if fault == "401":
            self._error(401, "GatedRepo", "Access to model is restricted")
            return 401
        if fault == "403":
            self._error(403, None, "Forbidden")
            return 403
        return None

    def _route(self, method: str, path: str, query: str, kind: str, repo_id: str | None, body: bytes) -> int:
        data = self.server.state.data
        head = method == "HEAD"
        if kind == "model_info":
            doc = data.models.get(repo_id)
            if doc is None:
                self._error(404, "RepoNotFound", "Repository not found")
                return 404
            self._json(200, _expand(doc, parse_qs(query).get("expand")), head=head)
            return 200
        if kind == "commits":
            items = data.commits.get(repo_id)
            if items is None:
                self._error(404, "RepoNotFound", "Repository not found")
                return 404
            return self._page(path, query, items, COMMITS_PAGE_SIZE)
        if kind == "list_models":
            qs = parse_qs(query)
            author = (qs.get("author") or [None])[0]
            docs = [d for d in data.models.values() if author is None or d["author"] == author]
            docs = [_expand(d, qs.get("expand")) for d in docs]
            limit = int((qs.get("limit") or [MODELS_PAGE_SIZE])[0])
            return self._page(path, query, docs, min(limit, MODELS_PAGE_SIZE))
        if kind == "dataset":
            return self._dataset(method, path, query, body)
        self._error(404, None, "Not found")
        return 404

    def _page(self, path: str, query: str, items: list, size: int) -> int:
        qs = parse_qs(query)
        page = int((qs.get("p") or ["0"])[0])
        chunk = items[page * size:(page + 1) * size]
        headers = {}
        if (page + 1) * size < len(items):
            rest = [(k, v) for k, vs in qs.items() if k != "p" for v in vs]
            q = "&".join(f"{quote(k)}={quote(v)}" for k, v in rest + [("p", str(page + 1))])
            host = self.headers.get("Host")
            headers["Link"] = f'<http://{host}{quote(path)}?{q}>; rel="next"'
        self._json(200, chunk, headers)
        return 200

    # ------------------------------------------------------------------ dataset repo
    def _dataset_files(self) -> dict[str, bytes]:
        return dataset_files(self.server.state.data.parquet)

    def _file_entry(self, path: str, blob: bytes) -> dict:
        entry = {"type": "file", "oid": hashlib.sha1(blob).hexdigest(), "size": len(blob), "path": path}
        if path.endswith(".parquet"):
            entry["lfs"] = {"oid": hashlib.sha256(blob).hexdigest(), "size": len(blob), "pointerSize": 134}
        return entry

    def _dataset(self, method: str, path: str, query: str, body: bytes) -> int:
        data = self.server.state.data
        files = self._dataset_files()
        sha = data.dataset_sha
        prefix_api = f"/api/datasets/{DATASET_REPO}"
        prefix_resolve = f"/datasets/{DATASET_REPO}/resolve/"
        head = method == "HEAD"
        if path.startswith(prefix_resolve):
            rev, _, fpath = path[len(prefix_resolve):].partition("/")
            found = revision_files(data, rev)
            if found is None:
                self._error(404, "RevisionNotFound", "Revision not found")
                return 404
            sha, files = found
            blob = files.get(fpath)
            if blob is None:
                self._error(404, "EntryNotFound", "Entry not found")
                return 404
            etag = self._file_entry(fpath, blob).get("lfs", {}).get("oid") or hashlib.sha1(blob).hexdigest()
            headers = {"X-Repo-Commit": sha, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
            rng = self.headers.get("Range")
            if rng and not head:
                m = re.match(r"bytes=(\d*)-(\d*)", rng)
                if m:
                    start = int(m.group(1)) if m.group(1) else len(blob) - int(m.group(2))
                    end = int(m.group(2)) if m.group(1) and m.group(2) else len(blob) - 1
                    end = min(end, len(blob) - 1)
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(blob)}"
                    self._send(206, blob[start:end + 1], headers, "application/octet-stream")
                    return 206
            self._send(200, blob, headers, "application/octet-stream", head=head)
            return 200
        if not path.startswith(prefix_api):
            self._error(404, "RepoNotFound", "Repository not found")
            return 404
        rest = path[len(prefix_api):].lstrip("/")
        if rest.startswith("commits/"):
            return self._page(path, query, dataset_commits(data), COMMITS_PAGE_SIZE)
        if rest.startswith("revision/") and revision_files(data, rest[len("revision/"):]) is not None:
            sha, files = revision_files(data, rest[len("revision/"):])
            rest = ""
        if rest == "":
            doc = {
                "_id": "stand-in-contents", "id": DATASET_REPO, "author": "open-llm-leaderboard",
                "sha": sha, "lastModified": MAIN_COMMIT_DATE, "createdAt": "2024-06-01T00:00:00.000Z",
                "private": False, "gated": False, "disabled": False, "downloads": 0, "likes": 0,
                "tags": [], "cardData": {"license": "apache-2.0"},
                "siblings": [{"rfilename": p} for p in files],
            }
            self._json(200, doc, head=head)
            return 200
        m = re.match(r"^(tree|paths-info)/([^/]+)/?(.*)$", rest)
        found = revision_files(data, m.group(2)) if m else None
        if found is None:
            self._error(404, "RevisionNotFound" if m else None, "Not found")
            return 404
        files = found[1]
        op, _, sub = m.groups()
        if op == "paths-info":
            fields = parse_qs(body.decode()) if body else {}
            if self.headers.get("Content-Type", "").startswith("application/json") and body:
                fields = {k: v if isinstance(v, list) else [v] for k, v in json.loads(body).items()}
            wanted = fields.get("paths", [])
            out = [self._info(p, files) for p in wanted]
            self._json(200, [o for o in out if o is not None])
            return 200
        recursive = parse_qs(query).get("recursive", ["false"])[0].lower() == "true"
        sub = sub.strip("/")
        entries = self._listing(sub, files, recursive)
        if entries is None:
            self._error(404, "EntryNotFound", "Entry not found")
            return 404
        self._json(200, entries)
        return 200

    @staticmethod
    def _classify(path: str) -> tuple[str, str | None]:
        return _classify(path)

    def _info(self, p: str, files: dict) -> dict | None:
        p = p.strip("/")
        if p in files:
            return self._file_entry(p, files[p])
        if any(f.startswith(p + "/") for f in files) or p == "":
            return {"type": "directory", "oid": _fake_sha("dir", p), "size": 0, "path": p}
        return None

    def _listing(self, sub: str, files: dict, recursive: bool) -> list[dict] | None:
        if sub and not any(f.startswith(sub + "/") for f in files):
            return None
        base = sub + "/" if sub else ""
        out, dirs = [], set()
        for f, blob in files.items():
            if not f.startswith(base):
                continue
            rel = f[len(base):]
            parts = rel.split("/")
            for i in range(1, len(parts)):
                d = base + "/".join(parts[:i])
                if (recursive or i == 1) and d not in dirs:
                    dirs.add(d)
                    out.append({"type": "directory", "oid": _fake_sha("dir", d), "size": 0, "path": d})
            if recursive or len(parts) == 1:
                out.append(self._file_entry(f, blob))
        return out


# --------------------------------------------------------------------------- dataset history
# The dataset's revisions (issue 24): one per shared history file, plus the current file's.

HISTORY_DIR = "open-llm-leaderboard-contents-history"
# The current file's revision is the dataset's last commit (the board was retired in March 2025).
MAIN_COMMIT_DATE = "2025-03-21T18:00:00.000Z"


@dataclass(frozen=True)
class DatasetRevision:
    """One earlier revision of the dataset: its sha, commit time and parquet file."""

    sha: str
    date: str  # the Hub's ISO format
    title: str
    parquet: bytes


def dataset_files(parquet: bytes) -> dict[str, bytes]:
    """The files of the dataset repository at a revision whose train split is ``parquet``."""
    return {"README.md": README.encode(), DATASET_FILE: parquet,
            ".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}


def history_revisions(data_dir: Path | None = None) -> list[DatasetRevision]:
    """One revision per ``YYYY-MM-DD.parquet`` of the shared history, committed at noon UTC of
    its day, oldest first; a missing folder is an error, never a silent skip."""
    folder = (data_dir or shared_data_dir()) / HISTORY_DIR
    files = sorted(folder.glob("????-??-??.parquet"))
    if not files:
        raise FileNotFoundError(f"stand-in Hub: no dated parquet files in {folder} (set LLMTRENDS_SHARED_DATA)")
    return [DatasetRevision(_fake_sha("dataset revision", f.stem), f"{f.stem}T12:00:00.000Z",
                            f"Update the leaderboard ({f.stem})", f.read_bytes()) for f in files]


def _history(data: HubData) -> list[DatasetRevision]:
    if data.history is None:
        data.history = history_revisions()
    return data.history


def dataset_commits(data: HubData) -> list[dict]:
    """The dataset's commits as ``GET /api/datasets/{id}/commits/main`` lists them (newest first)."""
    rows = [(r.sha, r.title, r.date) for r in _history(data)]
    rows.append((data.dataset_sha, "Final state of the leaderboard", MAIN_COMMIT_DATE))
    return [{"id": sha, "title": title, "message": "", "authors": [{"user": "open-llm-leaderboard-bot", "avatar": None}],
             "date": date} for sha, title, date in reversed(rows)]


def revision_files(data: HubData, rev: str) -> tuple[str, dict[str, bytes]] | None:
    """(sha, files) of a revision asked for by name (``main``) or sha; None when unknown."""
    if rev in ("main", data.dataset_sha):
        return data.dataset_sha, dataset_files(data.parquet)
    for r in _history(data) if re.fullmatch(r"[0-9a-f]{40}", rev) else ():
        if r.sha == rev:
            return r.sha, dataset_files(r.parquet)
    return None


def _classify(path: str) -> tuple[str, str | None]:
    """Which endpoint a path is, and for which repository."""
    if path == "/api/models":
        return "list_models", None
    m = _MODEL_RE.match(path)
    if m:
        repo_id, op, _ = _parse_model_path(m.group("rest"))
        return ("commits" if op == "commits" else "model_info"), repo_id
    if DATASET_REPO in path:
        return "dataset", DATASET_REPO
    return "other", None


def _expand(doc: dict, expand: list[str] | None) -> dict:
    """Keep only the expanded properties (plus the id), like the Hub's ``expand[]``."""
    if not expand:
        return doc
    keep = {"_id", "id", *expand}
    return {k: v for k, v in doc.items() if k in keep}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many concurrent clients connect at once
    state: _State


class StandinHub:
    """A running stand-in Hub: ``with StandinHub() as hub: ... hub.endpoint ...``."""

    handler_class: type = _Handler

    def __init__(self, data: HubData | None = None, faults: Faults | None = None) -> None:
        self.data = data or HubData.load()
        self._state = _State(self.data, faults or Faults())
        self._state.rng.seed(self._state.faults.seed)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "StandinHub":
        """Listen on a random free port of 127.0.0.1 in a background thread."""
        server = _Server(("127.0.0.1", 0), self.handler_class)
        server.state = self._state
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="standin-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hung requests and close the socket."""
        self._state.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> "StandinHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The base URL to use as HF_ENDPOINT."""
        assert self._server is not None, "stand-in Hub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ faults
    def set_faults(self, faults: Faults) -> None:
        """Replace the fault plan (and reseed the RNG)."""
        with self._state.lock:
            self._state.faults = faults
            self._state.rng.seed(faults.seed)

    def queue_fault(self, kind: str, repo_match: str | None = None, count: int = 1) -> None:
        """The next ``count`` requests (for a repo id containing ``repo_match``) get ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._state.lock:
            self._state.queued.extend([(repo_match, kind)] * count)

    def set_status(self, repo_id: str, status: int) -> None:
        """Answer every model_info/commits request for ``repo_id`` with 404, 401 or 403."""
        if status not in (401, 403, 404):
            raise ValueError("status must be 401, 403 or 404")
        with self._state.lock:
            self._state.status_override[repo_id] = status

    # ------------------------------------------------------------------ observations
    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log."""
        with self._state.lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.requests.clear()

    def max_in_window(self, window: float, kinds: tuple[str, ...] | None = None) -> int:
        """The most requests that arrived within any ``window`` seconds (half-open interval)."""
        times = sorted(r.t for r in self.requests if kinds is None or r.kind in kinds)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


# ==================================================================== the hub board (issue 20)
# The Hub as it is today for the hub board (llmtrends.pipeline.hubboard): the model listing of
# ``HfApi.list_models(pipeline_tag=..., sort="created_at", expand=[...])`` and Community Evals
# leaderboards (``get_dataset_leaderboard``), served by :class:`HubBoardStandin`.
#
# * ``GET /api/models`` serves a listing: the real records of ``hub-new-models/`` in the shared
#   data (:class:`SampleListing`) or a seeded synthetic one (:class:`SyntheticListing`), newest
#   first for ``sort=createdAt`` (``direction=1``: oldest first; also ``downloads``, ``likes``),
#   filtered by ``pipeline_tag`` and ``author``, ``limit`` models a page (at most 1,000) with
#   ``Link: <...>; rel="next"`` pagination, only the ``expand``-ed properties. A visibility
#   cutoff (:meth:`HubBoardStandin.set_cutoff`) hides models created after it, so that a test
#   can let time pass: a repository created again under the same id (54 rows of the sample)
#   shows its latest creation up to the cutoff.
# * ``GET /api/models/{id}`` (``model_info``) answers for the listing's models, models added
#   with :meth:`HubBoardStandin.add_models` (models a listing lacks) and the v1 records.
# * ``GET /api/datasets/{id}/leaderboard`` answers in the shape ``DatasetLeaderboardEntry``
#   parses; without ``base_model=false`` it leaves out every model whose tags declare a base
#   model, as the Hub does. Leaderboard values are made up by the tests that set them; a result
#   that is not from an open pull request also appears in its model's ``evalResults``.
#
# The sample's records carry no task field: a model's task is the first of its (complete) tags
# that is a Hub task (``schema.HUB_PIPELINE_TAGS``); the ~1,000 models with none are in no task
# listing. The sample has no ``library_name``, ``lastModified``, ``safetensors`` or scores; the
# synthetic listing adds made-up ``safetensors`` counts (it says so below).

HUB_SAMPLE_DIR = "hub-new-models"
HUB_SAMPLE_FILE = "new-models-2026-09-24-to-28.csv"
HUB_TAG_SEPARATOR = "; "


def hub_sample_path(data_dir: Path | None = None) -> Path:
    """The real listing sample; raises if it is missing (never skip silently)."""
    path = Path(data_dir or os.environ.get("LLMTRENDS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    path = path / HUB_SAMPLE_DIR / HUB_SAMPLE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"stand-in Hub: the hub listing sample is missing: {path} (set LLMTRENDS_SHARED_DATA)")
    return path


def _hub_tasks() -> frozenset[str]:
    from llmtrends import schema

    return schema.HUB_PIPELINE_TAGS


def _task_of(tags: list[str]) -> str | None:
    """The first tag that is a Hub task; a cut last tag ("…") is never one."""
    tasks = _hub_tasks()
    return next((t for t in tags if t in tasks and not t.endswith("…")), None)


def _hub_time(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.000Z")


class SampleListing:
    """The real sample as the Hub would list it (see the section comment)."""

    def __init__(self, path: Path | None = None) -> None:
        raw = pd.read_csv(path or hub_sample_path(), keep_default_na=False)
        raw["_t"] = pd.to_datetime(raw["created_at"], utc=True)
        self.rows = raw.sort_values(["_t", "model"]).reset_index(drop=True)
        self.docs: list[dict] = []
        self._by_key: dict[str, dict] = {}
        self.set_cutoff(None)

    def set_cutoff(self, cutoff) -> None:
        """Show each repository's latest creation on or before ``cutoff`` (None: all)."""
        rows = self.rows if cutoff is None else self.rows[self.rows["_t"] <= pd.Timestamp(cutoff)]
        rows = rows.drop_duplicates("model", keep="last")
        docs = [self._doc(r) for r in rows.to_dict("records")]
        docs.sort(key=lambda d: (d["createdAt"], d["id"]), reverse=True)
        self.docs = docs
        self._by_key = {d["id"].lower(): d for d in docs}

    @staticmethod
    def _doc(rec: dict) -> dict:
        tags = [t for t in str(rec["tags"]).split(HUB_TAG_SEPARATOR) if t] if rec["tags"] else []
        return {
            "_id": _fake_sha("hub", rec["model"], rec["created_at"])[:24],
            "id": rec["model"], "modelId": rec["model"], "author": rec["author"] or None,
            "createdAt": _hub_time(rec["_t"]), "downloads": int(rec["downloads"]), "likes": int(rec["likes"]),
            "private": False, "gated": False, "disabled": False,
            "pipeline_tag": _task_of(tags), "tags": tags,
        }

    def select(self, pipeline_tag: str | None, author: str | None) -> list[int]:
        return [i for i, d in enumerate(self.docs)
                if (pipeline_tag is None or d["pipeline_tag"] == pipeline_tag)
                and (author is None or d["author"] == author)]

    def doc(self, pos: int) -> dict:
        return self.docs[pos]

    def find(self, repo_id: str) -> dict | None:
        return self._by_key.get(repo_id.lower())


class SyntheticListing:
    """A listing of ``n`` made-up models with the sample's distributions, generated (seeded) on
    the fly, never stored: each model copies the tags, task, author and counts of a random
    sample model of the given tasks (so relations, architectures, licences and cut tag lists
    keep the sample's shares), gets a unique id, a creation time between ``start`` and ``end``
    (growing like the Hub, exp(3·t)), and -- made up, the sample has none -- a ``safetensors``
    parameter count (log-normal around 4B) when its tags say safetensors."""

    def __init__(self, n: int = 500_000, seed: int = 20, tasks=("text-generation", "image-text-to-text"),
                 start: str = "2023-01-01", end: str = "2026-09-28T04:22:08Z", sample: Path | None = None) -> None:
        import numpy as np

        base = SampleListing(sample)
        self.templates = [d for d in base.docs if d["pipeline_tag"] in tasks]
        rng = np.random.default_rng(seed)
        self.n = n
        t0, t1 = pd.Timestamp(start, tz="UTC").value // 10**9, pd.Timestamp(end).value // 10**9
        k = 3.0
        u = rng.random(n)
        times = t0 + (t1 - t0) * np.log1p(u * np.expm1(k)) / k
        self.created = np.sort(times.astype(np.int64))[::-1].copy()  # position 0 = newest
        self.template = rng.integers(0, len(self.templates), n)
        self.owner = np.where(rng.random(n) < 0.3, 0, rng.geometric(0.002, n))
        self.params = np.exp(rng.normal(np.log(4e9), 1.2, n)).clip(1e7, 1e12).astype(np.int64)
        self.noise = np.exp(rng.normal(0, 0.5, n))
        task_of = np.array([self.templates[t]["pipeline_tag"] for t in self.template])
        self.by_task = {t: np.flatnonzero(task_of == t) for t in tasks}
        self.cutoff = None

    def set_cutoff(self, cutoff) -> None:
        self.cutoff = None if cutoff is None else pd.Timestamp(cutoff).value // 10**9

    def _visible(self, positions):
        import numpy as np

        if self.cutoff is None:
            return positions
        first = int(np.searchsorted(-self.created, -self.cutoff, side="left"))
        return positions[positions >= first]

    def select(self, pipeline_tag: str | None, author: str | None):
        import numpy as np

        positions = self.by_task.get(pipeline_tag, np.array([], dtype=np.int64)) if pipeline_tag else \
            np.arange(self.n)
        positions = self._visible(positions)
        if author is not None:
            positions = np.array([p for p in positions if self._author(int(p)) == author], dtype=np.int64)
        return positions

    def _author(self, pos: int) -> str:
        t = self.templates[int(self.template[pos])]
        owner = int(self.owner[pos])
        return f"{t['author'] or 'user'}{'' if owner == 0 else f'-{owner}'}"

    def doc(self, pos: int) -> dict:
        import numpy as np

        pos = int(pos)
        t = self.templates[int(self.template[pos])]
        author = self._author(pos)
        repo = f"{author}/{t['id'].split('/', 1)[-1]}-s{pos:06d}"
        created = f"{np.datetime_as_string(np.datetime64(int(self.created[pos]), 's'))}.000Z"
        noise = float(self.noise[pos])
        doc = {**t, "_id": f"{pos:024x}", "id": repo, "modelId": repo, "author": author, "createdAt": created,
               "lastModified": created, "downloads": int(t["downloads"] * noise), "likes": int(t["likes"] * noise)}
        if "safetensors" in t["tags"]:
            doc["safetensors"] = {"parameters": {"BF16": int(self.params[pos])}, "total": int(self.params[pos])}
        return doc

    def find(self, repo_id: str) -> dict | None:
        m = re.search(r"-s(\d{6})$", repo_id)
        if not m or int(m.group(1)) >= self.n:
            return None
        pos = int(m.group(1))
        doc = self.doc(pos)
        if doc["id"].lower() != repo_id.lower() or (self.cutoff is not None and self.created[pos] > self.cutoff):
            return None
        return doc


class _LazyDocs:
    """Listing positions as documents, built only for the page asked (``_page`` slices it)."""

    def __init__(self, owner: "HubBoardStandin", positions, expand) -> None:
        self.owner, self.positions, self.expand = owner, positions, expand

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, sl: slice) -> list[dict]:
        return [_expand(self.owner.served(self.owner.listing.doc(p)), self.expand) for p in self.positions[sl]]


_LEADERBOARD_RE = re.compile(r"^/api/datasets/(?P<ds>[^/]+/[^/]+)/leaderboard$")


class _HubBoardHandler(_Handler):
    RATE_FAULT_KINDS = ("model_info", "commits", "list_models", "leaderboard")

    @staticmethod
    def _classify(path: str) -> tuple[str, str | None]:
        m = _LEADERBOARD_RE.match(path)
        if m:
            return "leaderboard", m.group("ds")
        return _classify(path)

    def _route(self, method: str, path: str, query: str, kind: str, repo_id: str | None, body: bytes) -> int:
        board: HubBoardStandin = self.server.state.board
        qs = parse_qs(query)
        if kind == "list_models":
            sort = (qs.get("sort") or ["createdAt"])[0]
            direction = (qs.get("direction") or ["-1"])[0]
            if sort not in ("createdAt", "downloads", "likes") or direction not in ("-1", "1"):
                self._error(400, None, f"Invalid sort {sort!r} / direction {direction!r}")
                return 400
            limit = (qs.get("limit") or [str(MODELS_PAGE_SIZE)])[0]
            if not limit.isdigit() or int(limit) < 1:
                self._error(400, None, "Invalid limit")
                return 400
            with board.lock:
                positions = board.listing.select((qs.get("pipeline_tag") or [None])[0], (qs.get("author") or [None])[0])
                if sort != "createdAt":
                    positions = sorted(positions, key=lambda p: (-board.listing.doc(p)[sort], p))
                if direction == "1":
                    positions = positions[::-1]
                return self._page(path, query, _LazyDocs(board, positions, qs.get("expand")),
                                  min(int(limit), MODELS_PAGE_SIZE))
        if kind == "model_info":
            with board.lock:
                doc = board.listing.find(repo_id) or board.extra.get(repo_id.lower())
                doc = board.served(doc) if doc is not None else None
            if doc is not None:
                self._json(200, _expand(doc, qs.get("expand")), head=method == "HEAD")
                return 200
        if kind == "leaderboard":
            with board.lock:
                entries = board.leaderboards.get(repo_id)
                if entries is None:
                    self._error(404, "RepoNotFound", "Dataset not found or has no leaderboard")
                    return 404
                fine_tunes = (qs.get("base_model") or ["true"])[0].lower() == "false"
                served = [e for e in entries if fine_tunes or not board.declares_base(e["modelId"])]
            served = sorted(served, key=lambda e: -e["value"])
            self._json(200, [{**e, "rank": i + 1} for i, e in enumerate(served)])
            return 200
        return super()._route(method, path, query, kind, repo_id, body)


class HubBoardStandin(StandinHub):
    """The stand-in Hub with a model listing and Community Evals leaderboards (see the section
    comment). ``listing``: a :class:`SampleListing` (default) or :class:`SyntheticListing`."""

    handler_class = _HubBoardHandler

    def __init__(self, listing=None, data: HubData | None = None, faults: Faults | None = None) -> None:
        super().__init__(data or HubData({}, {}, b"", "0" * 40), faults)
        self.listing = listing if listing is not None else SampleListing()
        self.extra: dict[str, dict] = {}
        self.leaderboards: dict[str, list[dict]] = {}
        self.evals: dict[str, list[dict]] = {}
        self.patches: dict[str, dict] = {}
        self.lock = threading.RLock()
        self._state.board = self

    def set_cutoff(self, cutoff) -> None:
        """Models created after ``cutoff`` (a timestamp; None: none) are not there yet."""
        with self.lock:
            self.listing.set_cutoff(cutoff)

    def add_models(self, docs: list[dict]) -> None:
        """Models ``model_info`` knows but no listing holds (e.g. a scored model of another task)."""
        with self.lock:
            for d in docs:
                self.extra[d["id"].lower()] = d

    def set_leaderboard(self, dataset_id: str, task_id: str, results: list[dict]) -> None:
        """A benchmark's results: dicts with ``model``, ``value`` and optionally ``verified``,
        ``pull_request``, ``source_url``, ``source_name``, ``notes``, ``date``, ``filename``
        (tests make the values up and say so). A result not from an open pull request is
        also one of its model's ``evalResults``."""
        entries = []
        with self.lock:
            for r in results:
                ns = r["model"].split("/", 1)[0]
                entry = {"modelId": r["model"], "value": r["value"], "verified": bool(r.get("verified")),
                         "filename": r.get("filename") or f".eval_results/{task_id}.yaml",
                         "author": {"name": ns, "fullname": ns, "type": "user", "avatarUrl": ""}}
                if r.get("source_url"):
                    entry["source"] = {"url": r["source_url"], "name": r.get("source_name"), "isExternal": True}
                if r.get("pull_request") is not None:
                    entry["pullRequest"] = r["pull_request"]
                if r.get("notes"):
                    entry["notes"] = r["notes"]
                entries.append(entry)
                if r.get("pull_request") is None:
                    result = {"dataset": {"id": dataset_id, "task_id": task_id}, "value": r["value"]}
                    if r.get("date"):
                        result["date"] = r["date"]
                    if r.get("source_url"):
                        result["source"] = {"url": r["source_url"], **({"name": r["source_name"]}
                                                                       if r.get("source_name") else {})}
                    if r.get("notes"):
                        result["notes"] = r["notes"]
                    if r.get("verified"):
                        result["verifyToken"] = "made-up-token"
                    self.evals.setdefault(r["model"].lower(), []).append(result)
            self.leaderboards[dataset_id] = entries

    def patch_model(self, repo_id: str, **fields) -> None:
        """Serve a model with these fields changed (made-up values a test adds, e.g. safetensors)."""
        with self.lock:
            self.patches.setdefault(repo_id.lower(), {}).update(fields)

    def served(self, doc: dict) -> dict:
        """A model's document as served: with the fields patched in and its eval results."""
        key = doc["id"].lower()
        results = self.evals.get(key)
        doc = {**doc, **self.patches.get(key, {})}
        return {**doc, "evalResults": results} if results else doc

    def declares_base(self, repo_id: str) -> bool:
        doc = self.listing.find(repo_id) or self.extra.get(repo_id.lower())
        return bool(doc) and any(t.startswith("base_model:") for t in doc.get("tags") or [])

    def count(self, kind: str) -> int:
        """Requests of one kind seen so far (list_models, model_info, leaderboard ...)."""
        return sum(1 for r in self.requests if r.kind == kind)


def serve_hub_board(n: int, seed: int = 20, cutoff: str | None = None, latency: float = 0.0) -> None:  # pragma: no cover
    """Serve a synthetic listing of ``n`` models in the foreground (benchmarks/scale.py runs
    this in its own process): prints the endpoint, then the request counts by kind when
    stopped (SIGTERM or Ctrl+C)."""
    import signal
    import sys

    hub = HubBoardStandin(SyntheticListing(n, seed), faults=Faults(latency=latency))
    if cutoff:
        hub.set_cutoff(cutoff)
    synthetic_leaderboards(hub)
    hub.start()
    print(hub.endpoint, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    counts = {}
    for r in hub.requests:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    hub.stop()
    print(json.dumps(counts), flush=True)
    sys.exit(0)


def synthetic_leaderboards(hub: HubBoardStandin, per_benchmark: int = 3000, unlisted: int = 30, seed: int = 20) -> None:
    """Made-up leaderboards for a synthetic listing: ``per_benchmark`` results on random listed
    models plus ``unlisted`` models only ``model_info`` knows (values made up, uniform in a
    plausible range)."""
    import numpy as np

    from llmtrends.pipeline import benchmarks

    listing: SyntheticListing = hub.listing
    rng = np.random.default_rng(seed)
    extra = []
    for i in range(unlisted):
        t = listing.templates[i % len(listing.templates)]
        extra.append({**t, "id": f"made-up-scores/unlisted-{i}", "modelId": f"made-up-scores/unlisted-{i}",
                      "author": "made-up-scores", "pipeline_tag": "any-to-any",
                      "createdAt": "2024-06-01T00:00:00.000Z"})
    hub.add_models(extra)
    # scored models are at least two days old (the scale benchmark's first build stops a day early)
    first = int(np.searchsorted(-listing.created, -(int(listing.created[0]) - 2 * 86400), side="left"))
    for b in benchmarks.load():
        picks = first + rng.choice(listing.n - first, size=min(per_benchmark, listing.n - first), replace=False)
        results = [{"model": listing.doc(int(p))["id"], "value": round(float(rng.uniform(5, 90)), 1),
                    "verified": bool(rng.random() < 0.1), "source_url": "https://example.org/made-up",
                    "source_name": "made up", "date": "2026-05-01"} for p in picks]
        results += [{"model": d["id"], "value": round(float(rng.uniform(5, 90)), 1)} for d in extra]
        hub.set_leaderboard(b.dataset_id, b.task_id, results)


def main() -> None:  # pragma: no cover - manual use
    """Run the stand-in in the foreground: ``python tests/standin_hub.py [latency]``."""
    import sys
    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    hub = StandinHub(faults=Faults(latency=latency)).start()
    print(hub.endpoint, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
