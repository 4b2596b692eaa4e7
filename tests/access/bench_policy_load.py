"""How long loading the access policy takes at a large site: ``.venv/bin/python -m tests.access.bench_policy_load``.

Fills a fresh store (in a temporary directory) with 7,000 residents and 3,000
grants shaped like the district's, then times, best of several runs:
the first load, a reload after two rows changed, a check with nothing changed,
the bare fingerprint, and one decision. Not collected by pytest.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from edge.access import PolicyLoader, access_fingerprint, load_policy
from edge.store.database import open_database

NOW = "2025-03-01T00:00:00.000Z"
GATES = ["gate-north", "gate-south", "door-b1", "door-b2", "*"]


def fill(path: Path, residents: int, grants: int, rng: random.Random) -> None:
    conn = open_database(path)
    conn.execute("BEGIN")
    for n in range(residents):
        data = {
            "name": f"居民 {n}",
            "household_id": f"h{n // 3}",
            "phone": "13800000000",
            "unit": f"{n % 20}-{n % 4}",
            "category": rng.choice(["resident", "tenant", "staff", "visitor"]),
            "suspended": n % 97 == 0,
            "valid_until": None if n % 5 else "2030-01-01T00:00:00+08:00",
        }
        conn.execute(
            "INSERT INTO residents VALUES (?, ?, ?, 0)", (f"p{n}", json.dumps(data, ensure_ascii=False), NOW)
        )
    for n in range(grants):
        key = rng.choice(["person_id", "household_id", "category"])
        value = {
            "person_id": f"p{rng.randrange(residents)}",
            "household_id": f"h{rng.randrange(residents // 3)}",
        }
        data = {
            "subject": {key: value.get(key, "resident")},
            "gates": rng.sample(GATES, 2),
            "windows": [
                {"days": [1, 2, 3, 4, 5], "start": "06:00", "end": "23:00"},
                {"days": [6, 7], "start": "22:00", "end": "02:00"},
            ],
            "valid_from": "2024-01-01T00:00:00+08:00",
            "valid_until": "2030-01-01T00:00:00Z",
        }
        conn.execute("INSERT INTO grants VALUES (?, ?, ?, 0)", (f"g{n}", json.dumps(data), NOW))
    conn.execute("COMMIT")
    conn.close()


def best_ms(work: Callable[[], object], runs: int = 10, before: Callable[[], object] = lambda: None) -> float:
    best = float("inf")
    for _ in range(runs):
        before()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main(residents: int = 7000, grants: int = 3000) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        fill(path, residents, grants, rng)
        reader, writer = open_database(path, readonly=True), open_database(path)
        loader = PolicyLoader([], "Asia/Shanghai")
        loader.refresh(reader)

        def touch_two_rows() -> None:
            writer.execute(
                "UPDATE residents SET data = json_set(data, '$.name', ?) WHERE id = 'p5'",
                (str(rng.random()),),
            )
            writer.execute(
                "UPDATE grants SET data = json_set(data, '$.gates[0]', ?) WHERE id = 'g5'",
                (str(rng.random()),),
            )

        policy = load_policy(reader, [], "Asia/Shanghai")
        at = datetime.now(UTC)
        print(f"{residents} residents, {grants} grants")
        print(
            f"  first load (load_policy)        {best_ms(lambda: load_policy(reader, [], 'Asia/Shanghai')):6.1f} ms"
        )
        print(
            f"  reload, two rows changed        {best_ms(lambda: loader.refresh(reader), before=touch_two_rows):6.1f} ms"
        )
        print(f"  refresh, nothing changed        {best_ms(lambda: loader.refresh(reader)):6.1f} ms")
        print(f"  access_fingerprint              {best_ms(lambda: access_fingerprint(reader)):6.1f} ms")
        print(
            f"  decide                          {best_ms(lambda: policy.decide('p42', 'gate-north', at)) * 1000:6.1f} µs"
        )
        reader.close()
        writer.close()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
