"""Loudspeakers on the network, driven the same way whatever their make.

Every speaker driver takes the commands of :mod:`drivers.speaker.commands`
(the names and arguments of the simulated speaker, :mod:`drivers.sim.speaker`,
plus ``{"url"}`` and ``{"text", "voice"}``), says which kinds of audio it plays
in its ``plays`` class attribute, and reports each play as a
:class:`~drivers.events.SpeakerPlayed` event. One folder per family:

- ``mqtt_cloud/`` (kind ``speaker.mqtt_cloud``): 4G / Wi-Fi cloud speakers
  driven through an MQTT broker; they speak text and fetch URLs themselves.
- ``http_ip/`` (kind ``speaker.http_ip``): IP speakers on the LAN with an HTTP
  API; they fetch URLs and play WAV files (and tones) uploaded by the box.

:mod:`.wav` holds the WAV helpers both use (reading, rendering tones).
"""
