"""The box's durable store: SQLite in WAL mode with ``synchronous=FULL``.

One writer thread (:class:`~edge.store.writer.StoreWriter`) commits events and
their outbox rows in shared transactions; readers
(:class:`~edge.store.reader.EventReader`) open their own connections.
Media files live beside the database, named by sha256
(:class:`~edge.store.media.MediaStore`).
"""

from edge.store.database import StoreError, open_database
from edge.store.reader import EventReader
from edge.store.writer import StoreWriter

__all__ = ["EventReader", "StoreError", "StoreWriter", "open_database"]
