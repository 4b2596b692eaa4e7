"""What a camera URL names, the password that goes into it, and the form messages may show.

A camera is named by one string: ``rtsp://``, ``rtsps://``, ``http://`` or
``https://`` (a network stream), ``usb:N`` or a ``/dev/...`` path (a V4L2
device, e.g. ``/dev/v4l/by-id/...``), or else a video file. A network URL may
name the user (``rtsp://admin@192.168.1.64/...``); the password is never in the
config but merged in at connect (:func:`with_password`).

Credentials never leave this box in a message: :func:`masked` replaces the
user and password with ``***`` and :func:`scrub` does that to any text.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
MASK = "***"
#: characters RFC 3986 allows in a password as they are; the rest are percent-encoded
_PASSWORD_SAFE = "!$&'()*+,;=-._~"


def is_network(url: str) -> bool:
    return urlsplit(url).scheme.lower() in NETWORK_SCHEMES


def usb_device(url: str) -> int | str | None:
    """The V4L2 device ``url`` names: an index for ``usb:N``, the path for ``/dev/...``; None if neither."""
    if url.startswith("usb:") and url[4:].isdigit():
        return int(url[4:])
    if url.startswith("/dev/"):
        return url
    return None


def _parts(url: str) -> tuple[str, str, str, str] | None:
    """(scheme, user info, host, the rest) of a network URL that has user info, else None."""
    if not is_network(url):
        return None
    scheme, _, after = url.partition("://")
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return None
    userinfo, _, host = netloc.rpartition("@")
    return scheme, userinfo, host, after[len(netloc):]


def user_of(url: str) -> str | None:
    parts = _parts(url)
    return parts[1].partition(":")[0] if parts else None


def has_password(url: str) -> bool:
    parts = _parts(url)
    return parts is not None and ":" in parts[1]


def with_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` after its user name (unchanged if None or the URL names no user)."""
    parts = _parts(url)
    if password is None or parts is None:
        return url
    scheme, userinfo, host, rest = parts
    return f"{scheme}://{userinfo.partition(':')[0]}:{quote(password, safe=_PASSWORD_SAFE)}@{host}{rest}"


def masked(url: str) -> str:
    """``url`` fit for a message: its user info (name and password) replaced by ``***``."""
    parts = _parts(url)
    if parts is None:
        return url
    scheme, _, host, rest = parts
    return f"{scheme}://{MASK}@{host}{rest}"


def scrub(text: str, *urls: str) -> str:
    """``text`` with each of ``urls``, and its user info, masked wherever they appear."""
    for url in urls:
        parts = _parts(url)
        if parts is not None:
            text = text.replace(url, masked(url)).replace(parts[1] + "@", MASK + "@")
    return text
