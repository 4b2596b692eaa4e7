"""SIGKILL a process mid-stream: every acknowledged event survives, seq stays gap-free."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from edge.events.model import EventDraft
from edge.store import EventReader, StoreWriter

PRODUCER = Path(__file__).with_name("crash_producer.py")
REPO = Path(__file__).resolve().parents[2]


def run_and_kill(db: Path, acks_before_kill: int) -> dict[str, int]:
    """Start the producer, SIGKILL it after ``acks_before_kill`` acks; return every ack it printed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(PRODUCER), str(db), "16"], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    acked: dict[str, int] = {}
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        for line in proc.stdout:
            seq, event_id = line.split()
            acked[event_id] = int(seq)
            if len(acked) >= acks_before_kill:
                proc.send_signal(signal.SIGKILL)
                break
        rest, _ = proc.communicate(timeout=10)  # acks already written before the kill
        for line in rest.splitlines():
            parts = line.split()
            if len(parts) == 2:
                acked[parts[1]] = int(parts[0])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acked


def test_sigkill_mid_stream_loses_no_acknowledged_event(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    all_acked: dict[str, int] = {}
    for round_ in range(3):
        acked = run_and_kill(db, acks_before_kill=1500 + 700 * round_)
        assert len(acked) >= 1500
        all_acked.update(acked)
        with EventReader(db) as reader:
            assert reader.integrity() == "ok"
            seqs = reader.seqs()
            assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap or starts elsewhere"
            stored = {e.event_id: e.seq for e in reader.iter_all()}
        missing = [eid for eid in all_acked if eid not in stored]
        assert not missing, f"{len(missing)} acknowledged events lost"
        assert all(stored[eid] == seq for eid, seq in all_acked.items())
    # and the store carries on from where it was, without a gap
    async def one_more() -> int:
        async with StoreWriter(db) as writer:
            event = await writer.append(EventDraft("test.after", 3, datetime.now(UTC), False, None, {}))
        return event.seq

    assert asyncio.run(one_more()) == len(seqs) + 1
