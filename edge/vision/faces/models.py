"""Where the face models come from, and loading them without surprises.

Two dlib models are used, both free for commercial use: the 5-point landmark
predictor (to align a face) and the ResNet that turns an aligned face into a
128-d encoding. The 68-point predictor is licensed non-commercial and is never
loaded. The files come from the ``face_recognition_models`` package, found by
its folder: importing it would import ``pkg_resources`` (gone from recent
setuptools), and ``face_recognition`` itself loads the 68-point model on
import and calls ``quit()`` when anything is missing. Failures here raise
:class:`FaceModelsError` with one clear sentence instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL_ID = "dlib-resnet-v1/5pt"  # stored beside every template; only templates of this model are matched

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
_SHA256 = {
    LANDMARKS_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    ENCODER_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}


class FaceModelsError(RuntimeError):
    """The face models or dlib cannot be loaded; the message says what to do."""


@dataclass(frozen=True, slots=True)
class FaceModels:
    detector: Any  # dlib.fhog_object_detector: HOG + linear SVM
    landmarks: Any  # dlib.shape_predictor, 5 points
    encoder: Any  # dlib.face_recognition_model_v1
    blas: bool  # whether dlib was built with BLAS (encodings ~6x faster)


def models_dir(override: Path | None = None) -> Path:
    """The folder holding the model files: ``override``, else face_recognition_models' own."""
    if override is not None:
        return override
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsError("face models not installed: run `make setup` (installs face_recognition_models)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_models(directory: Path | None = None, *, verify: bool = True) -> FaceModels:
    """Load dlib's detector, the 5-point predictor and the encoder; FaceModelsError when impossible."""
    try:
        import dlib
    except ImportError as exc:
        raise FaceModelsError(f"dlib is not installed ({exc}): run `make setup`") from None
    folder = models_dir(directory)
    paths = {name: folder / name for name in _SHA256}
    for name, path in paths.items():
        if not path.is_file():
            raise FaceModelsError(f"face model missing: {path}")
        if verify and _sha256(path) != _SHA256[name]:
            raise FaceModelsError(f"face model {path} is not the expected file (sha256 differs): reinstall it")
    try:
        return FaceModels(
            detector=dlib.get_frontal_face_detector(),
            landmarks=dlib.shape_predictor(str(paths[LANDMARKS_FILE])),
            encoder=dlib.face_recognition_model_v1(str(paths[ENCODER_FILE])),
            blas=bool(getattr(dlib, "DLIB_USE_BLAS", False)),
        )
    except RuntimeError as exc:
        raise FaceModelsError(f"cannot load the face models from {folder}: {exc}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
