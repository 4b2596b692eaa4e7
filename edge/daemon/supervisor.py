"""Keeps one device's driver running: connect -> run -> on failure back off and retry.

The supervisor owns the driver's life cycle and its health entry. A failure is
logged once when the device goes from working to failing, retries are quiet,
and the recovery is logged once. Each change of state is also an event
(``device.online`` / ``device.degraded`` / ``device.offline``), the offline one
at the driver's ``offline_priority`` (an unreachable SOS button is life-safety).
"""

from __future__ import annotations

import asyncio
import random

import structlog

from drivers.base import Clock, DeviceEvent, Driver, DriverError, HealthState
from drivers.retry import Backoff, FailureStreak
from edge.config.model import SupervisorConfig
from edge.daemon.health import DeviceHealth
from edge.events.types.devices import DeviceDegraded, DeviceOffline, DeviceOnline
from edge.recording import EventRecorder
from edge.store.database import StoreError
from edge.waiting import cancel_and_wait

log = structlog.get_logger(__name__)

_CLOSE_TIMEOUT_S = 2.0


class DeviceSupervisor:
    def __init__(
        self,
        driver: Driver,
        health: DeviceHealth,
        recorder: EventRecorder,
        settings: SupervisorConfig,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.driver = driver
        self.health = health
        self._recorder = recorder
        self._settings = settings
        self._clock = clock
        cap = min(settings.backoff_max_s, driver.retry_max_s or settings.backoff_max_s)
        # the connect attempts' back-off, apart from the streak: a probe resets it, a connect does not
        self._backoff = Backoff(min(settings.backoff_initial_s, cap), cap, rng or random.Random())
        self._log = log.bind(device_id=driver.device_id, kind=driver.config.kind)
        self._streak = FailureStreak(  # failing: anything but online
            self._log, failing="device.failing", still_failing="device.still_failing",
            recovered="device.recovered", clock=clock.monotonic,
        )

    async def run(self) -> None:
        """Run until cancelled; never raises for device failures."""
        try:
            while True:
                try:
                    async with asyncio.timeout(self._settings.connect_timeout_s):
                        await self.driver.connect()
                    await self._set_state(HealthState.ONLINE, "")
                    await self._run_connected()
                    reason = "driver stopped reading"
                except asyncio.CancelledError:
                    raise
                except TimeoutError:
                    reason = "connect timed out"
                except Exception as exc:  # a device failing must not stop the daemon
                    _raise_if_cancelling()  # a driver that lost our cancel must not keep us running
                    reason = describe(exc)
                await self._close_quietly()
                await self._set_state(HealthState.OFFLINE, reason)
                await self._clock.sleep(self._backoff.next_delay())
        finally:
            await self._close_quietly()

    def seen(self) -> None:
        """The device just showed it is alive (an event arrived)."""
        self.health.last_seen = self._clock.now()

    async def _run_connected(self) -> None:
        """Run the driver's read loop beside the probe loop until either ends; raise its error.

        Not a TaskGroup: on 3.11 a TaskGroup whose child fails leaves the parent
        task marked as cancelling, which would make a later failure look like a shutdown.
        """
        tasks = {
            asyncio.create_task(self.driver.run(), name=f"{self.driver.device_id}:run"),
            asyncio.create_task(self._probe_loop(), name=f"{self.driver.device_id}:probe"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._cancel_and_wait(tasks)
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error

    async def _cancel_and_wait(self, tasks: set[asyncio.Task[None]]) -> None:
        if left := await cancel_and_wait(tasks):
            self._log.error("device.task_would_not_stop", tasks=[t.get_name() for t in left])

    async def _probe_loop(self) -> None:
        while True:
            await self._clock.sleep(self._settings.probe_interval_s)
            try:
                async with asyncio.timeout(self._settings.connect_timeout_s):
                    probe = await self.driver.probe()
            except TimeoutError:
                raise DriverError("health probe timed out") from None
            if probe.state is HealthState.OFFLINE:
                raise DriverError(probe.reason or "probe says offline")
            self._backoff.reset()  # only a device that stays up earns quick retries again
            self.seen()
            await self._set_state(probe.state, probe.reason)

    async def _set_state(self, state: HealthState, reason: str) -> None:
        health = self.health
        if state is HealthState.OFFLINE:
            health.failures += 1
        else:
            health.failures = 0
            self.seen()
        if health.state is state and health.reason == reason:
            return
        was_failing, previous = self._streak.failing, health.state
        health.state, health.reason, health.since = state, reason, self._clock.now()
        self._log_change(state, reason)
        if state is HealthState.OFFLINE and previous is HealthState.OFFLINE and was_failing:
            return  # still down, only the reason changed: no new event
        await self._record_health(state, reason)

    def _log_change(self, state: HealthState, reason: str) -> None:
        if state is not HealthState.ONLINE:
            self._streak.failed(reason, state=state.value)
        elif not self._streak.recovered():
            self._log.info("device.online")

    async def _record_health(self, state: HealthState, reason: str) -> None:
        kind = self.driver.config.kind
        if state is HealthState.OFFLINE:
            event: DeviceEvent = DeviceOffline(reason=reason, kind=kind, offline_priority=self.driver.offline_priority)
        elif state is HealthState.DEGRADED:
            event = DeviceDegraded(reason=reason, kind=kind)
        else:
            event = DeviceOnline(reason=reason, kind=kind)
        try:
            await self._recorder.record(event, device_id=self.driver.device_id)
        except StoreError as exc:
            self._log.error("device.event_not_stored", error=str(exc))

    async def _close_quietly(self) -> None:
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                await self.driver.close()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._log.warning("device.close_failed", error=describe(exc))


def _raise_if_cancelling() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if isinstance(exc, DriverError) else f"{exc.__class__.__name__}: {text}"
