"""Enrolling residents on the box from photos: one face per photo, templates kept, photos not.

Used by ``edge faces enroll`` and ``edge faces import``. Each photo is read,
its one face found and checked (:func:`encode_photo` refuses no face, several
faces or a poor one, saying why), and only the 128-d template and the photo's
sha256 are stored — never the photo. A photo whose face lies far from the
person's other photos is refused as well: it is probably someone else.

All writes for one person go in one transaction, through the store's writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge.access.residents import upsert_local_resident
from edge.events.model import utc_rfc3339
from edge.store.writer import StoreWriter
from edge.vision.faces.engine import FaceEngine
from edge.vision.faces.gallery_store import delete_person_templates, enroll_template
from edge.vision.faces.models import MODEL_ID
from edge.vision.faces.workers import PhotoError, decode_photo, encode_photo

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
SAME_PERSON_MAX = 0.6  # photos of one person further apart than this are not all of them


@dataclass(frozen=True, slots=True)
class Encoded:
    path: Path
    sha256: str
    vector: np.ndarray


@dataclass
class PersonPhotos:
    person_id: str
    accepted: list[Encoded] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)


def encode_person(engine: FaceEngine, person_id: str, paths: Iterable[Path]) -> PersonPhotos:
    """Encode each photo of one person; refused ones carry the reason."""
    result = PersonPhotos(person_id)
    for path in paths:
        try:
            data = path.read_bytes()
            face = encode_photo(engine, decode_photo(data))
        except OSError as exc:
            result.rejected.append((path, f"cannot read: {exc.strerror or exc}"))
            continue
        except PhotoError as exc:
            result.rejected.append((path, str(exc)))
            continue
        assert face.encoding is not None
        result.accepted.append(Encoded(path, hashlib.sha256(data).hexdigest(), face.encoding))
    _refuse_outliers(result)
    return result


def _refuse_outliers(result: PersonPhotos) -> None:
    """Drop photos far from the person's others (by median distance); needs 3+ photos to tell."""
    if len(result.accepted) < 3:
        if len(result.accepted) == 2:
            a, b = result.accepted
            distance = float(np.linalg.norm(a.vector - b.vector))
            if distance > SAME_PERSON_MAX:
                result.rejected += [(e.path, f"does not look like the other photo (distance {distance:.2f})")
                                    for e in result.accepted]
                result.accepted.clear()
        return
    vectors = np.stack([e.vector for e in result.accepted])
    distances = np.linalg.norm(vectors[:, None, :] - vectors[None, :, :], axis=2)
    keep = []
    for index, encoded in enumerate(result.accepted):
        median = float(np.median(np.delete(distances[index], index)))
        if median > SAME_PERSON_MAX:
            result.rejected.append((encoded.path, f"does not look like the person's other photos ({median:.2f})"))
        else:
            keep.append(encoded)
    result.accepted = keep


def refuse_lookalikes(photos: PersonPhotos, gallery, threshold: float) -> None:
    """Refuse photos whose face already belongs to someone else in the gallery.

    The same face under two ids would make every later match ambiguous (the
    margin rule finds two people equally near), so that person would never be
    let in: better to say so now, to the technician holding the photo.
    """
    if not photos.accepted or not len(gallery):
        return
    matches = gallery.match(np.stack([e.vector for e in photos.accepted]))
    keep = []
    for encoded, match in zip(photos.accepted, matches, strict=True):
        if match.person_id != photos.person_id:  # the nearest template is someone else's
            other, distance = match.person_id, match.distance or 0.0
        else:  # the nearest is this person's own; is someone else close behind?
            other, distance = "another person", match.second_distance
        if distance <= threshold:
            photos.rejected.append((encoded.path, f"already enrolled as {other} (distance {distance:.2f});"
                                    " enroll under that id, or remove them first (--force to enroll anyway)"))
        else:
            keep.append(encoded)
    photos.accepted = keep


async def store_person(
    writer: StoreWriter, photos: PersonPhotos, *, name: str, category: str | None, replace: bool = False,
) -> list[str]:
    """Write the resident and their templates in one transaction; the new template ids."""
    now = utc_rfc3339(datetime.now(UTC))

    def job(conn) -> list[str]:
        upsert_local_resident(conn, photos.person_id, name, category, now)
        if replace:
            delete_person_templates(conn, photos.person_id, now)
        return [
            enroll_template(conn, person_id=photos.person_id, vector=e.vector, model_id=MODEL_ID,
                            source_sha256=e.sha256, enrolled_at=now)
            for e in photos.accepted
        ]

    return await writer.run(job)


def person_folders(root: Path) -> list[tuple[str, list[Path]]]:
    """``root/<person_id>/<photos>`` → [(person_id, photos)], sorted; other files are ignored."""
    people = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        people.append((folder.name, photos))
    return people


def import_folder(
    engine: FaceEngine, root: Path, progress: Callable[[int, int, str], None] | None = None,
) -> list[PersonPhotos]:
    """Encode every person's photos under ``root``; ``progress(done, total, name)`` after each person."""
    people = person_folders(root)
    results = []
    for done, (person_id, paths) in enumerate(people, start=1):
        results.append(encode_person(engine, person_id, paths))
        if progress is not None:
            progress(done, len(people), person_id)
    return results
