"""4G / Wi-Fi cloud speakers driven through an MQTT broker (kind ``speaker.mqtt_cloud``).

The speaker keeps its own connection to a broker (often the vendor's) and the
box talks to it there, under ``{prefix}/{serial}/``:

- ``cmd``: the box publishes commands, QoS 1, as JSON
  ``{"id": uuid, "op": "play_tts" | "play_url" | "stop" | "volume",
  "text"?, "voice"?, "url"?, "level"?}``;
- ``ack``: the speaker answers each, as JSON
  ``{"id": same uuid, "ok": bool, "error"?: str, "duration_s"?: number}``;
- ``status``: the speaker keeps ``online`` / ``offline`` there, retained, with
  ``offline`` as its last will.

Layers: :mod:`.protocol` (topics, command and ack JSON: pure),
:mod:`.link` (one aiomqtt connection, made and undone cleanly),
:mod:`.config` and :mod:`.driver` (the speaker as the daemon sees it).
"""
