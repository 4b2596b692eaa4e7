"""Media files (snapshots, clips, audio) under ``<data_dir>/media``, named by sha256.

A file is written to a temporary name, fsynced and renamed, so a crash leaves
either the whole file or none. The index row is written with the event that
refers to it (see ``StoreWriter``), so the index never names a missing file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from edge.durable_files import write_atomically
from edge.events.model import MediaRef


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put_bytes(self, data: bytes, *, kind: str, content_type: str) -> MediaRef:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if not target.exists():
            write_atomically(target, data)
        return MediaRef(digest, kind, content_type, len(data))

    def put_file(self, source: Path, *, kind: str, content_type: str) -> MediaRef:
        return self.put_bytes(source.read_bytes(), kind=kind, content_type=content_type)

    def open(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()
