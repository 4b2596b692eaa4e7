"""The composition root: builds the store, drivers, supervisors and servers, and runs them.

Every long-lived task is created here inside one ``asyncio.TaskGroup``; stopping
means setting ``stop``, after which supervisors are cancelled (closing their
drivers), servers shut, and the store writer commits what is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import structlog
from pydantic import SecretStr

from drivers.base import Clock, Driver, SystemClock
from drivers.capabilities import FacadeFeed, FaceFeed, SosInput, Speaker
from drivers.registry import driver_class
from edge import __version__
from edge.api.console import ConsoleServer
from edge.api.control import ControlServer
from edge.broadcast.render import Speech
from edge.broadcast.service import Broadcasts
from edge.commands import CommandRequest, CommandRouter
from edge.config.model import EdgeConfig
from edge.daemon.health import HealthBoard
from edge.daemon.sdnotify import SdNotifier
from edge.daemon.supervisor import DeviceSupervisor
from edge.daemon.wiring import devices_with
from edge.downlink import DownlinkPoller
from edge.events.bus import EventBus
from edge.events.model import utc_rfc3339
from edge.events.types.daemon import DaemonStarted, DaemonStopped
from edge.recording import EventRecorder
from edge.store.media import MediaStore
from edge.store.writer import StoreWriter
from edge.timesync import ClockSync, FlooredClock, load_floor, save_floor
from edge.uplink.service import Uplink
from edge.vision.faces.service import FaceService
from edge.vision.falls.service import FallService
from edge.waiting import cancel_and_wait, keep_going

log = structlog.get_logger(__name__)

_WATCHDOG_DEFAULT_S = 10.0


class Daemon:
    def __init__(
        self,
        config: EdgeConfig,
        *,
        clock: Clock | None = None,
        clock_sync: ClockSync | None = None,
        notifier: SdNotifier | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.config = config
        self.clock = FlooredClock(clock or SystemClock())
        self.data_dir = config.store.data_dir.resolve()
        self.notifier = notifier or SdNotifier()
        self._out = out or sys.stdout
        self.writer = StoreWriter(
            self.data_dir / "events.db",
            max_batch=config.store.max_batch,
            busy_timeout_ms=config.store.busy_timeout_ms,
        )
        self.media = MediaStore(self.data_dir / "media")
        self.bus = EventBus()
        self.clock_sync = clock_sync or ClockSync()
        self.recorder = EventRecorder(self.writer, self.media, self.bus, self.clock, self.clock_sync)
        self.health = HealthBoard()
        self.drivers: dict[str, Driver] = {}
        self.supervisors = [self._supervise(device) for device in config.devices if device.enabled]
        for driver in self.drivers.values():
            driver.attach(self.drivers)
        self.commands = CommandRouter(self.drivers, self.health, self.recorder.record)  # device and box commands
        self.uplink = self._build_uplink()
        self.downlink = self._build_downlink()
        self.speech = Speech(self.data_dir / "tts-cache", config.broadcast.cache_mb)
        self.broadcasts = Broadcasts(
            config.broadcast, timezone=config.site.timezone, render=self.speech.render,
            speakers=devices_with(self.drivers, Speaker), sos_inputs=devices_with(self.drivers, SosInput),
            device_configs={device_id: driver.config for device_id, driver in self.drivers.items()},
            record=self.recorder.record, bus=self.bus, writer=self.writer, clock=self.clock,
        )
        self.commands.register_box_command("broadcast", self.broadcasts.manager.command)
        self.faces = FaceService(
            config.faces, config.access, cameras=devices_with(self.drivers, FaceFeed), timezone=config.site.timezone,
            writer=self.writer, media=self.media, record=self.recorder.record, commands=self.commands, clock=self.clock,
        )
        self.falls = FallService(
            config.falls, cameras=devices_with(self.drivers, FacadeFeed), media=self.media, record=self.recorder.record,
            writer=self.writer, clock=self.clock,
        )
        self.control = ControlServer(self, self.data_dir / "run" / "edge.sock")
        self.console = ConsoleServer(self, config.console, self.data_dir / "secrets")
        self.started_at = self.clock.now()

    def _build_uplink(self) -> Uplink | None:
        if self.config.uplink is None:
            return None
        return Uplink(
            self.config.site.box_id, self.config.uplink, writer=self.writer, media=self.media,
            recorder=self.recorder, bus=self.bus, clock=self.clock, sync=self.clock_sync,
            on_command=self.commands.dispatch,  # the district's commands over MQTT
        )

    def _build_downlink(self) -> DownlinkPoller | None:
        uplink = self.config.uplink
        if uplink is None:
            return None
        if uplink.https is None or not uplink.district_public_key:
            log.warning("downlink.disabled", reason="needs [uplink.https] and district_public_key")
            return None
        poller = DownlinkPoller.from_config(uplink, self.config.site.box_id, self.writer, self.recorder.record)
        self.commands.register_box_command("sync.now", self._sync_now)
        return poller

    async def _sync_now(self, _command: CommandRequest) -> dict[str, Any]:
        assert self.downlink is not None
        self.downlink.request_sync()
        return {"requested": True}

    def _supervise(self, device: Any) -> DeviceSupervisor:
        health = self.health.register(device.id, device.kind, device.name, self.clock.now())
        holder: list[DeviceSupervisor] = []
        emit = self.recorder.emitter_for(device.id, on_emit=lambda: holder[0].seen())
        driver = driver_class(device.kind)(device, emit, self.clock)
        self.drivers[device.id] = driver
        supervisor = DeviceSupervisor(driver, health, self.recorder, self.config.supervisor, self.clock)
        holder.append(supervisor)
        return supervisor

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; the store is flushed and closed on the way out."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.writer.open()
        try:
            self.clock.set_floor(await self.writer.run(load_floor))
            async with contextlib.AsyncExitStack() as stack:
                await self.control.start()
                stack.push_async_callback(self.control.stop)
                if self.config.console.enabled:
                    await self.console.start()
                    stack.push_async_callback(self.console.stop)
                if self.uplink is not None:
                    stack.push_async_callback(self.uplink.close)
                stack.push_async_callback(self.speech.close)
                await self._run_tasks(stop)
            await self.recorder.record(DaemonStopped(version=__version__))
            await self._save_time_floor()
        finally:
            await self.writer.close()

    async def _run_tasks(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(s.run(), name=f"supervise:{s.driver.device_id}") for s in self.supervisors
            ]
            tasks.append(group.create_task(self._watchdog(), name="watchdog"))
            tasks.append(group.create_task(self._keep_time_floor(), name="time-floor"))
            if self.uplink is not None:
                tasks.append(group.create_task(keep_going("uplink", self.uplink.run), name="uplink"))
            if self.downlink is not None:
                tasks.append(group.create_task(keep_going("downlink", self.downlink.run), name="downlink"))
            tasks.append(group.create_task(keep_going("broadcasts", self.broadcasts.run), name="broadcasts"))
            tasks.append(group.create_task(keep_going("faces", self.faces.run), name="faces"))
            tasks.append(group.create_task(keep_going("falls", self.falls.run), name="falls"))
            await self.recorder.record(
                DaemonStarted(version=__version__, pid=os.getpid(), devices=len(self.drivers))
            )
            self.notifier.ready(f"{len(self.drivers)} devices")
            self._print_banner()
            log.info("daemon.started", box_id=self.config.site.box_id, devices=len(self.drivers))
            await stop.wait()
            log.info("daemon.stopping")
            self.notifier.stopping()
            if left := await cancel_and_wait(tasks):
                log.error("daemon.tasks_would_not_stop", tasks=[t.get_name() for t in left])

    async def _keep_time_floor(self) -> None:
        """Persist the time now and then, so a reboot with a 1970 clock starts from it."""
        while True:
            await self._save_time_floor()
            await asyncio.sleep(60)

    async def _save_time_floor(self) -> None:
        now = self.clock.now()
        await self.writer.run(lambda conn: save_floor(conn, now))

    async def _watchdog(self) -> None:
        """Tell systemd we are alive, but only while the store writer is too."""
        interval = SdNotifier.watchdog_interval_s() or _WATCHDOG_DEFAULT_S
        while True:
            if self.writer.alive:
                self.notifier.watchdog()
            else:
                log.error("daemon.store_writer_dead")
            await asyncio.sleep(interval)

    @property
    def store_path(self) -> Path:
        return self.writer.path

    @property
    def box_token(self) -> SecretStr | None:
        return self.config.uplink.token if self.config.uplink is not None else None

    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "box_id": self.config.site.box_id,
            "site": self.config.site.name,
            "version": __version__,
            "pid": os.getpid(),
            "started_at": utc_rfc3339(self.started_at),
            "uptime_s": round((now - self.started_at).total_seconds(), 1),
            "clock_synced": self.recorder.clock_synced(),
            "store": {"path": str(self.writer.path), "last_seq": self.writer.last_seq},
            "console": self.console.url if self.config.console.enabled else None,
            "devices": self.health.snapshot(),
            "counts": self.health.counts(),
            "uplink": self.uplink.status() if self.uplink is not None else None,
            "downlink": self.downlink.status() if self.downlink is not None else None,
            "faces": self.faces.status() if self.faces.cameras else None,
            "falls": self.falls.status() if self.falls.cameras else None,
        }

    def _print_banner(self) -> None:
        lines = [
            f"community-edge {__version__}: box {self.config.site.box_id}"
            + (f" ({self.config.site.name})" if self.config.site.name else "")
            + f", {len(self.drivers)} devices",
            f"  data     {self.data_dir}",
            f"  status   edge status --socket {self.control.path}",
        ]
        if self.config.console.enabled:
            lines += self.console.login_hint()
        print("\n".join(lines), file=self._out, flush=True)


def install_signal_handlers(stop: asyncio.Event, on_second: Callable[[], None] | None = None) -> None:
    """SIGTERM / SIGINT set ``stop``; a second one exits at once."""
    import signal

    loop = asyncio.get_running_loop()

    def handle() -> None:
        if stop.is_set():
            if on_second:
                on_second()
            os._exit(130)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, handle)

