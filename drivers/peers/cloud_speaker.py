"""A 4G cloud speaker at the far end of an MQTT broker, simulated: the peer of ``speaker.mqtt_cloud``.

:class:`FakeCloudSpeaker` connects to the broker as the speaker would (client
id ``speaker-<serial>``, last will ``offline`` retained on
``{prefix}/{serial}/status``), says ``online`` there (retained), and answers
each command on ``{prefix}/{serial}/cmd`` with an ack on ``.../ack``. It
implements the protocol from its description (:mod:`drivers.speaker.mqtt_cloud`),
not with the driver's code, so that a mismatch shows.

"Playing" writes a file to ``out_dir``:

- ``play_tts``: ``<n>-tts.wav``, silence lasting 0.15 s per character of the
  text (8 kHz mono 16-bit), and ``<n>-tts.txt`` holding the text and the voice;
  the ack's ``duration_s`` is that length;
- ``play_url``: the URL is fetched with aiohttp, only if it is on
  ``http://127.0.0.1``, and saved as ``<n>-url.bin``; ``duration_s`` is its
  length if it is a WAV. Other URLs, or a fetch that fails, are acked ``ok=false``.

``stop`` and ``volume`` (0..100) are acked ``ok``. Knobs: ``ack_delay_s``
(wait before each ack), ``acks`` (False: never answer), ``fail_with`` (answer
``ok=false`` with this error). Every command received is kept in ``commands``.
``stop()`` leaves saying ``offline``; ``stop(graceful=False)`` drops the
socket, so the broker publishes the last will.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt

from drivers.speaker.wav import silence_wav, wav_duration

SECONDS_PER_CHARACTER = 0.15


class FakeCloudSpeaker:
    def __init__(
        self,
        host: str,
        port: int,
        prefix: str,
        serial: str,
        out_dir: Path,
        *,
        username: str | None = None,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.serial, self.out_dir = host, port, serial, out_dir
        self.cmd_topic = f"{prefix}/{serial}/cmd"
        self.ack_topic = f"{prefix}/{serial}/ack"
        self.status_topic = f"{prefix}/{serial}/status"
        self._credentials = (username, password)
        self._tls_context = tls_context
        self.ack_delay_s = 0.0
        self.acks = True
        self.fail_with: str | None = None
        self.volume: int | None = None
        self.commands: list[dict[str, Any]] = []
        self.played: list[Path] = []
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect, say online (retained) and listen for commands."""
        if self._client is not None:
            return
        client = aiomqtt.Client(
            self.host, self.port, identifier=f"speaker-{self.serial}", username=self._credentials[0],
            password=self._credentials[1], tls_context=self._tls_context, clean_session=True, keepalive=10,
            will=aiomqtt.Will(self.status_topic, b"offline", qos=1, retain=True), timeout=5,
        )
        try:
            await client.__aenter__()
            await client.publish(self.status_topic, b"online", qos=1, retain=True)
            await client.subscribe(self.cmd_topic, qos=1)
        except BaseException:
            client._client._sock_close()
            raise
        self._client = client
        self._reader = asyncio.create_task(self._read(client), name=f"fake-speaker:{self.serial}")

    async def stop(self, graceful: bool = True) -> None:
        """Leave: say offline and DISCONNECT, or (``graceful=False``) drop the socket so the will is published."""
        client, self._client = self._client, None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            # bounded: seen to hang in CI (aiomqtt's message iterator did not end on cancel); closing
            # the socket below ends it in any case
            await asyncio.wait({reader}, timeout=2.0)
        if client is None:
            return
        try:
            if graceful:  # bounded: a broker that stopped answering must not hang the caller's teardown
                async with asyncio.timeout(5):
                    await client.publish(self.status_topic, b"offline", qos=1, retain=True)
                    await client.__aexit__(None, None, None)
        except (aiomqtt.MqttError, TimeoutError):
            pass
        finally:
            client._client._sock_close()

    async def publish_status(self, payload: bytes) -> None:
        """Publish ``payload`` on the status topic, retained (e.g. b"offline" while still connected)."""
        assert self._client is not None, "start() first"
        await self._client.publish(self.status_topic, payload, qos=1, retain=True)

    async def _read(self, client: aiomqtt.Client) -> None:
        try:
            async for message in client.messages:
                await self._answer(client, bytes(message.payload))  # type: ignore[arg-type]
        except aiomqtt.MqttError:
            pass  # disconnected

    async def _answer(self, client: aiomqtt.Client, payload: bytes) -> None:
        try:
            command = json.loads(payload)
            command_id, op = command["id"], command["op"]
        except (ValueError, TypeError, KeyError):
            return  # not a command: a real speaker ignores it too
        self.commands.append(command)
        ack: dict[str, Any] = {"id": command_id, "ok": True}
        try:
            if self.fail_with is not None:
                raise ValueError(self.fail_with)
            ack |= await self._perform(op, command)
        except ValueError as exc:
            ack |= {"ok": False, "error": str(exc)}
        if not self.acks:
            return
        await asyncio.sleep(self.ack_delay_s)
        await client.publish(self.ack_topic, json.dumps(ack).encode(), qos=1)

    async def _perform(self, op: str, command: dict[str, Any]) -> dict[str, Any]:
        """Do ``op``; the ack's extra fields. ValueError: the ack says ok=false with that error."""
        match op:
            case "play_tts":
                return await self._speak(str(command.get("text", "")), str(command.get("voice", "")))
            case "play_url":
                return await self._fetch(str(command.get("url", "")))
            case "stop":
                return {}
            case "volume":
                level = command.get("level")
                if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 100:
                    raise ValueError("level must be an integer from 0 to 100")
                self.volume = level
                return {}
        raise ValueError(f"unknown op {op!r}")

    async def _speak(self, text: str, voice: str) -> dict[str, Any]:
        if not text:
            raise ValueError("no text")
        duration_s = round(SECONDS_PER_CHARACTER * len(text), 3)
        wav_path = self._next_path("tts.wav")
        await asyncio.to_thread(self._write_speech, wav_path, text, voice, duration_s)
        self.played.append(wav_path)
        return {"duration_s": duration_s}

    @staticmethod
    def _write_speech(wav_path: Path, text: str, voice: str, duration_s: float) -> None:
        wav_path.parent.mkdir(parents=True, exist_ok=True)
        wav_path.write_bytes(silence_wav(duration_s))
        wav_path.with_suffix(".txt").write_text(f"{voice}\n{text}\n", encoding="utf-8")

    async def _fetch(self, url: str) -> dict[str, Any]:
        if not url.startswith("http://127.0.0.1"):
            raise ValueError("this fake speaker only fetches http://127.0.0.1 URLs")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                session.get(url) as response,
            ):
                response.raise_for_status()
                data = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ValueError(f"cannot fetch {url}: {exc}") from None
        path = self._next_path("url.bin")
        await asyncio.to_thread(_write, path, data)
        self.played.append(path)
        try:
            return {"duration_s": round(wav_duration(data), 3)}
        except ValueError:
            return {}

    def _next_path(self, suffix: str) -> Path:
        return self.out_dir / f"{len(self.commands):04d}-{suffix}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
