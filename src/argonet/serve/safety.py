"""What the server refuses: files outside its two folders, and (off loopback) requests without the token."""

from __future__ import annotations

import hmac
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from argonet.errors import ArgonetError

TOKEN_COOKIE = "argonet_token"


class PathRefused(ArgonetError):
    """A requested path that is not a file or folder under the served roots."""


def resolve_under(root: Path, relative: str) -> Path:
    """``root/relative`` resolved (symlinks followed); PathRefused when it leaves ``root``.

    Absolute paths, ``..`` parts, back-slashes and NUL bytes are refused before touching the disk;
    a symlink pointing outside ``root`` is refused after resolution.
    """
    if not relative or "\x00" in relative or "\\" in relative:
        raise PathRefused(f"refused path {relative!r}")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts) or relative.startswith("~"):
        raise PathRefused(f"refused path {relative!r}: not under the served folder")
    base = root.resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise PathRefused(f"refused path {relative!r}: it leads out of the served folder")
    return target


def token_ok(expected: str | None, query: str | None, cookie: str | None, header: str | None) -> bool:
    """Whether a request carries the token (query ``token=``, cookie, or ``Authorization: Bearer``)."""
    if expected is None:
        return True
    bearer = header[7:] if header and header.lower().startswith("bearer ") else None
    return any(given is not None and hmac.compare_digest(given.encode(), expected.encode())
               for given in (query, cookie, bearer))


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a POST comes from this server's own pages: a browser names the page's origin in ``Origin``;
    another site's form (cross-site request forgery) names its own. No ``Origin`` (a script, curl) passes."""
    if origin is None:
        return True
    return host is not None and urlsplit(origin).netloc == host
