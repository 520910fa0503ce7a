"""The CLI's HTTP client of the REST API. Every command except serve/worker/migrate goes through it."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"


def token_file() -> Path:
    """Where `lensboard login` keeps the CLI's token (XDG config folder)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lensboard" / "token"


def saved_token() -> str | None:
    try:
        return token_file().read_text().strip() or None
    except OSError:
        return None


class CliError(Exception):
    """A failure to report to the user as one clear message (and a non-zero exit)."""


class ApiError(CliError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status})")
        self.status = status
        self.detail = detail


class ProjectNotFound(CliError):
    pass


class ServerUnreachable(CliError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"the Lensboard server is not running at {url}.\n"
            "Start it with `make run` (or `lensboard serve`), or point LENSBOARD_URL at a running server."
        )


class ApiClient:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 30.0,
                 http: httpx.Client | None = None) -> None:
        """`http`: an existing client (e.g. FastAPI's TestClient); by default one for LENSBOARD_URL."""
        self.base_url = (base_url or os.environ.get("LENSBOARD_URL") or DEFAULT_URL).rstrip("/")
        # "" means no token at all (signing in); None means the usual places: LENSBOARD_TOKEN, then
        # the token `lensboard login` saved.
        if token is None:
            token = os.environ.get("LENSBOARD_TOKEN") or saved_token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # The server checks a whole upload before it answers: give that longer than other requests.
        self._upload_timeout: dict[str, Any] = {} if http is not None else {"timeout": httpx.Timeout(timeout,
                                                                                                  read=3600.0)}
        self._http = http or httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, f"/api{path}", **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ServerUnreachable(self.base_url) from e
        except httpx.HTTPError as e:
            raise CliError(f"request to {self.base_url} failed: {e}") from e
        if response.status_code == 401:
            raise ApiError(401, f"{_detail(response)}. Sign in with `lensboard login`, or set LENSBOARD_TOKEN "
                                "(`lensboard users token NAME` on the server)")
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def download(self, path: str, params: dict[str, Any], out: Path | None = None,
                 folder: Path | None = None) -> Path:
        """Stream a file endpoint to `out` (default: the server's file name in `folder`, or here).

        Written to a temp file and renamed at the end, so that a failed download leaves nothing behind."""
        query = {k: v for k, v in params.items() if v is not None}
        try:
            with self._http.stream("GET", f"/api{path}", params=query) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError(response.status_code, _detail(response))
                dest = out or (folder or Path.cwd()) / _filename(response, path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
                try:
                    with os.fdopen(fd, "wb") as f:
                        for chunk in response.iter_bytes():
                            f.write(chunk)
                    os.replace(tmp, dest)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ServerUnreachable(self.base_url) from e
        except httpx.HTTPError as e:
            raise CliError(f"request to {self.base_url} failed: {e}") from e
        return dest

    def post(self, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
        return self.request("POST", path, json=body or {}, headers=headers)

    def cookie(self, name: str) -> str | None:
        value = self._http.cookies.get(name)
        return str(value) if value is not None else None

    def upload(self, path: str, file: Path, fields: dict[str, Any],
               progress: Callable[[int], None] | None = None) -> Any:
        """POST `file` as multipart form field "file", with `fields` as form fields. httpx streams the file
        in chunks as it sends; `progress` gets the bytes read from it so far."""
        with open(file, "rb") as f:
            body: BinaryIO = f if progress is None else _Reporting(f, progress)  # type: ignore[assignment]
            return self.request("POST", path, files={"file": (file.name, body)}, **self._upload_timeout,
                                data={k: str(v).lower() if isinstance(v, bool) else str(v)
                                      for k, v in fields.items() if v is not None})

    def project(self, ref: str) -> dict[str, Any]:
        """A project by id or by name."""
        if ref.isdigit():
            found: dict[str, Any] = self.get(f"/projects/{ref}")
            return found
        for project in self.get("/projects"):
            if project["name"] == ref:
                return dict(project)
        raise ProjectNotFound(f"no project named {ref!r}; see `lensboard projects`")


class _Reporting:
    """A file that reports its position after each read. It keeps fileno() and seek(), so that httpx still
    knows the size (a Content-Length, not a chunked body) and rewinds it as it would the file."""

    def __init__(self, f: BinaryIO, report: Callable[[int], None]) -> None:
        self._f = f
        self._report = report

    def fileno(self) -> int:
        return self._f.fileno()

    def tell(self) -> int:
        return self._f.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._report(self._f.tell())
        return data


def _filename(response: httpx.Response, path: str) -> str:
    """The attachment's file name from Content-Disposition (a bare name only), else the path's last part."""
    hit = re.search(r'filename="?([^";/\\]+)"?', response.headers.get("content-disposition", ""))
    name = hit[1].strip() if hit else ""
    return name if name.strip(".") else path.rstrip("/").rsplit("/", 1)[-1]


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)[:500]
