"""IP speakers on the LAN with an HTTP API (kind ``speaker.http_ip``).

Vendors differ, so the driver speaks a small generic API whose paths are
configurable (defaults shown); every answer is JSON, and ``"ok": false`` or a
non-2xx status is a failure, with ``"error"`` saying why:

- ``POST /api/play`` with ``{"url": "..."}`` (the speaker fetches it) or
  ``{"clip_id": "..."}`` (a clip uploaded before) -> ``{"ok": true, "clip_id"?, "duration_s"?}``;
- ``POST /api/upload``, ``multipart/form-data`` with the WAV in the field
  ``file`` -> ``{"ok": true, "clip_id": "...", "duration_s"?}``;
- ``POST /api/stop`` -> ``{"ok": true}``;
- ``POST /api/volume`` with ``{"level": 0..100}`` -> ``{"ok": true}``;
- ``GET /api/status`` -> ``{"ok": true, ...}`` (anything else the speaker
  reports), used to check the speaker at connect and as the health probe.

Authentication is HTTP Basic (``username`` + ``password_env``) or a bearer
token (``token_env``), or none; 401 and 403 are reported as refused credentials.

Layers: :mod:`.api` (the HTTP calls over one aiohttp session), :mod:`.config`
and :mod:`.driver` (the speaker as the daemon sees it).
"""
