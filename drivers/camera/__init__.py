"""Cameras: OpenCV capture of network, USB and file sources, off the event loop.

The layers, each in its own file:

* :mod:`.urls` — what a camera URL names (network stream, USB device, file),
  the password merged into it, and the masked form every message shows;
* :mod:`.sources` — :class:`~.sources.FrameSource`: a video file, or an
  OpenCV stream (RTSP, HTTP MJPEG, V4L2) with open and read timeouts;
* :mod:`.frame` — :class:`~.frame.Frame` and the bounded, drop-oldest
  :class:`~.frame.FrameBuffer`;
* :mod:`.capture` — :class:`~.capture.FrameCapture`: one capture thread per
  camera, the fps limit, the async ``next_frame`` consumer API, stream stats;
  :mod:`.detail` — the main stream read beside a sub-stream;
* :mod:`.config`, :mod:`.face` and :mod:`.driver` — the ``camera.face`` and
  ``camera.facade`` device kinds.

The simulated cameras (:mod:`drivers.sim.camera`) are built on the same capture.
"""
