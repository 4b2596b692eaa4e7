"""A cloud speaker reached through an MQTT broker (kind ``speaker.mqtt_cloud``).

Commands (see :mod:`drivers.speaker.commands`): ``speaker.play`` with
``{"text", "voice"?}`` (op ``play_tts``) or ``{"url"}`` (op ``play_url``),
``speaker.stop`` and ``speaker.volume {"level": 0..100}``. Each is published
to ``cmd`` and answered by the speaker's ack: ``CommandResult(ack.ok, ...)``
with ``data={"id", "duration_s"?}``; no ack within ``ack_timeout_s`` fails the
command. A play that was acknowledged is reported as ``SpeakerPlayed`` (``what``
= the text or URL, ``duration_s`` from the ack or 0, ``result`` ``"ok"`` or
``"failed"``) before the command returns. Commands are refused at once while
the speaker's status says ``offline``, so nothing is played long after it was asked.

Health: ``run`` reads acks and the speaker's status and raises
``DriverError`` when the broker connection is lost (the supervisor reconnects
with back-off; ``connect`` fails until the broker is back). ``probe`` says
OFFLINE without a broker, or once the speaker's status has been ``offline``
or absent for ``status_grace_s`` (``connect`` then fails too, so the device
does not flap), DEGRADED within that grace or when the last command got no
ack, ONLINE otherwise. The speaker's status and how long it has held are
kept across reconnects.

Timeouts and the grace run on the injected clock.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
from collections import Counter
from collections.abc import Awaitable
from typing import ClassVar, TypeVar

import aiomqtt
import structlog

from drivers.base import (
    Clock,
    Command,
    CommandResult,
    DriverConfig,
    DriverError,
    Emit,
    HealthState,
    Probe,
)
from drivers.capabilities import SPEAKER_COMMANDS, Speaker
from drivers.events import SpeakerPlayed
from drivers.speaker.commands import PlayText, check_stop, parse_play, parse_volume
from drivers.speaker.credentials import secret_from_env
from drivers.speaker.mqtt_cloud.config import CloudSpeakerConfig
from drivers.speaker.mqtt_cloud.link import LinkLost, LinkSettings, MqttLink
from drivers.speaker.mqtt_cloud.protocol import (
    OFFLINE,
    ONLINE,
    Ack,
    BadMessage,
    CloudCommand,
    CloudTopics,
    decode_ack,
    decode_status,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

_STATUS_WAIT_S = 0.5  # for the retained status after subscribing (the broker sends it at once)
_CLOSE_TIMEOUT_S = 1.0


class CloudSpeaker(Speaker):
    config_model = CloudSpeakerConfig
    commands: ClassVar[frozenset[str]] = SPEAKER_COMMANDS
    plays: ClassVar[frozenset[str]] = frozenset({"text", "url"})
    config: CloudSpeakerConfig

    def __init__(self, config: DriverConfig, emit: Emit, clock: Clock | None = None) -> None:
        if not isinstance(config, CloudSpeakerConfig):
            raise TypeError(f"CloudSpeaker needs a CloudSpeakerConfig, not {type(config).__name__}")
        super().__init__(config, emit, clock)
        self.topics = CloudTopics(config.prefix, config.serial)
        self.counters: Counter[str] = Counter()  # bad_acks, unknown_acks, bad_status, ack_timeouts
        self._link: MqttLink | None = None
        self._pending: dict[str, asyncio.Future[Ack]] = {}
        self._status: str | None = None  # what the speaker last said: online, offline, None (nothing)
        self._status_since: float | None = None  # clock.monotonic() when it started saying it
        self._ack_problem: str | None = None  # the last command got no ack

    @property
    def speaker_status(self) -> str | None:
        return self._status

    # --- life cycle ----------------------------------------------------------

    async def connect(self) -> None:
        await self.close()
        settings = self._link_settings()
        try:
            link = await MqttLink.open(settings, (self.topics.status, self.topics.ack))
        except LinkLost as exc:
            raise DriverError(f"cannot reach the broker {self.config.host}:{self.config.port}: {exc}") from exc
        try:
            await self._await_status(link)
            if problem := self._speaker_problem():
                raise DriverError(problem)
        except BaseException:
            await link.close(_CLOSE_TIMEOUT_S)
            raise
        self._link = link

    async def run(self) -> None:
        link = self._link
        if link is None:
            raise DriverError("not connected")
        while True:
            self._handle(await link.receive())

    async def probe(self) -> Probe:
        link = self._link
        if link is None or link.lost_reason is not None:
            return Probe(HealthState.OFFLINE, link.lost_reason if link else "not connected to the broker")
        if problem := self._speaker_problem():
            return Probe(HealthState.OFFLINE, problem)
        if self._status != ONLINE:
            return Probe(HealthState.DEGRADED, self._status_text())
        if self._ack_problem is not None:
            return Probe(HealthState.DEGRADED, self._ack_problem)
        return Probe(HealthState.ONLINE)

    async def close(self) -> None:
        link, self._link = self._link, None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkLost("the driver was closed"))
        self._pending.clear()
        if link is not None:
            await link.close(_CLOSE_TIMEOUT_S)

    # --- commands ------------------------------------------------------------

    async def execute(self, command: Command) -> CommandResult:
        if command.type not in self.commands:
            return await super().execute(command)
        try:
            message, what = self._message(command)
        except ValueError as exc:
            return CommandResult(False, str(exc))
        link = self._link
        if link is None or link.lost_reason is not None:
            return CommandResult(False, "not connected to the broker")
        if self._status == OFFLINE:
            return CommandResult(False, f"speaker {self.config.serial} is offline")
        try:
            ack = await self._send(link, message)
        except TimeoutError:
            self.counters["ack_timeouts"] += 1
            self._ack_problem = f"no ack from the speaker within {self.config.ack_timeout_s:g} s"
            return CommandResult(False, self._ack_problem, {"id": message.id})
        except LinkLost as exc:
            return CommandResult(False, str(exc), {"id": message.id})
        data: dict[str, object] = {"id": message.id}
        if ack.duration_s is not None:
            data["duration_s"] = ack.duration_s
        if what is not None:
            result = "ok" if ack.ok else "failed"
            await self.emit(SpeakerPlayed(what=what, duration_s=ack.duration_s or 0.0, result=result,
                                          occurred_at=self.clock.now()))
        if not ack.ok:
            return CommandResult(False, f"the speaker refused {message.op}: {ack.error or 'no reason given'}", data)
        return CommandResult(True, f"{message.op} acknowledged", data)

    def _message(self, command: Command) -> tuple[CloudCommand, str | None]:
        """The MQTT command for ``command``, and what it plays (None: not a play); ValueError if malformed."""
        args = command.args
        match command.type:
            case "speaker.stop":
                check_stop(args)
                return CloudCommand("stop"), None
            case "speaker.volume":
                return CloudCommand("volume", {"level": parse_volume(args)}), None
        request = parse_play(args, self.plays, self.config.kind, default_voice=self.config.voice)
        if isinstance(request, PlayText):
            fields = {"text": request.text} | ({"voice": request.voice} if request.voice else {})
            return CloudCommand("play_tts", fields), request.what
        return CloudCommand("play_url", {"url": request.what}), request.what

    async def _send(self, link: MqttLink, message: CloudCommand) -> Ack:
        """Publish ``message`` and wait for its ack; TimeoutError after ``ack_timeout_s``, LinkLost."""
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._pending[message.id] = future
        try:
            return await self._within(self.config.ack_timeout_s, self._publish_and_wait(link, message, future))
        finally:
            self._pending.pop(message.id, None)

    async def _publish_and_wait(self, link: MqttLink, message: CloudCommand, future: asyncio.Future[Ack]) -> Ack:
        await link.publish(self.topics.cmd, message.encode())
        return await future

    async def _within(self, seconds: float, awaitable: Awaitable[T]) -> T:
        """``awaitable``'s result, or TimeoutError after ``seconds`` on the driver's clock."""
        work = asyncio.ensure_future(awaitable)
        timer = asyncio.create_task(self.clock.sleep(seconds))
        try:
            await asyncio.wait((work, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, timer):
                task.cancel()
            await asyncio.gather(work, timer, return_exceptions=True)
        if work.cancelled():
            raise TimeoutError
        return work.result()

    # --- messages from the speaker -------------------------------------------

    def _handle(self, message: aiomqtt.Message) -> None:
        payload = message.payload if isinstance(message.payload, bytes) else str(message.payload or "").encode()
        if message.topic.matches(self.topics.ack):
            self._on_ack(payload)
        elif message.topic.matches(self.topics.status):
            self._on_status(payload)

    def _on_ack(self, payload: bytes) -> None:
        try:
            ack = decode_ack(payload)
        except BadMessage as exc:
            self.counters["bad_acks"] += 1
            log.debug("speaker.cloud.bad_ack", serial=self.config.serial, error=str(exc))
            return
        future = self._pending.get(ack.id)
        if future is None or future.done():
            self.counters["unknown_acks"] += 1  # late, or someone else's
            return
        self._ack_problem = None  # the speaker answers in time again
        future.set_result(ack)

    def _on_status(self, payload: bytes) -> None:
        try:
            status = decode_status(payload)
        except BadMessage as exc:
            self.counters["bad_status"] += 1
            log.debug("speaker.cloud.bad_status", serial=self.config.serial, error=str(exc))
            return
        self._set_status(status)

    def _set_status(self, status: str | None) -> None:
        if status == self._status and self._status_since is not None:
            return
        self._status, self._status_since = status, self.clock.monotonic()
        log.info("speaker.cloud.status", device_id=self.device_id, serial=self.config.serial, status=status)

    async def _await_status(self, link: MqttLink) -> None:
        """Take what the broker sends right after subscribing; the status is absent if none comes."""
        heard = False
        give_up = self.clock.monotonic() + _STATUS_WAIT_S
        while not heard and (left := give_up - self.clock.monotonic()) > 0:
            try:
                message = await self._within(left, link.receive())
            except TimeoutError:
                break
            heard = message.topic.matches(self.topics.status)
            self._handle(message)
        if not heard:
            self._set_status(None)

    # --- health --------------------------------------------------------------

    def _speaker_problem(self) -> str | None:
        """Why the speaker counts as offline (its status has not been online for the grace), or None."""
        if self._status == ONLINE or self._status_since is None:
            return None
        if self.clock.monotonic() - self._status_since < self.config.status_grace_s:
            return None
        return self._status_text()

    def _status_text(self) -> str:
        held = self.clock.monotonic() - (self._status_since or 0.0)
        if self._status is None:
            return f"speaker {self.config.serial} has not reported its status for {held:.0f} s"
        return f"speaker {self.config.serial} reports {self._status} (for {held:.0f} s)"

    def _link_settings(self) -> LinkSettings:
        config = self.config
        tls = None
        if config.tls:
            try:
                tls = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
            except (OSError, ssl.SSLError) as exc:
                raise DriverError(f"cannot load the CA bundle {config.ca_file}: {exc}") from exc
        return LinkSettings(
            host=config.host,
            port=config.port,
            client_id=config.client_id or f"edge-{config.id}-{secrets.token_hex(4)}",
            username=config.username,
            password=secret_from_env(config.password_env, "password_env"),
            tls_context=tls,
            keepalive_s=config.keepalive_s,
            timeout_s=config.connect_timeout_s,
        )
