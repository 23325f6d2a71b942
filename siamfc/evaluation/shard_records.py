"""What each shard of a sharded evaluation did, so that missing results can be explained.

``siamfc eval --shard K/N`` writes ``run.shard-K-of-N.json`` beside ``run.json`` in the tracker
folder: its sequences, its command, and its state -- ``running`` when it starts, ``finished``
(with the sequences that failed) when it ends. A shard killed on the way stays ``running``.
Each shard writes only its own record (atomically), so shards running at once never write the
same file. :func:`describe_missing` turns these records into the one-line account that
``siamfc eval`` and ``siamfc report`` give of the sequences without results.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from siamfc.errors import DataError
from siamfc.io.files import read_json, write_text_atomic
from siamfc.utils.sharding import Shard, shard_of

_RECORD = re.compile(r"run\.shard-(\d+)-of-(\d+)\.json")


def record_path(tracker_dir, shard: Shard) -> Path:
    return Path(tracker_dir) / f"run.shard-{shard.index}-of-{shard.count}.json"


def is_record(path) -> bool:
    """Whether ``path`` is a shard record (not a result file of another toolkit)."""
    return _RECORD.fullmatch(Path(path).name) is not None


def write_record(tracker_dir, shard: Shard, names, state: str, made: dict, failed: dict | None = None) -> Path:
    record = {"shard": str(shard), "state": state, "sequences": list(names), "failed": dict(failed or {})}
    record["made_by"] = made
    return write_text_atomic(record_path(tracker_dir, shard), json.dumps(record, indent=2) + "\n")


def read_records(tracker_dir) -> list[dict]:
    """The shard records of a folder, by shard count then index (a record that is not JSON: DataError)."""
    found = []
    for path in Path(tracker_dir).glob("run.shard-*-of-*.json"):
        m = _RECORD.fullmatch(path.name)
        if m:
            record = read_json(path, "shard record")
            if not isinstance(record, dict):
                raise DataError(f"{path}: not a shard record")
            k, n = int(m.group(1)), int(m.group(2))
            found.append(((n, k), {**record, "shard": f"{k}/{n}"}))  # the file name is authoritative
    return [r for _, r in sorted(found, key=lambda kv: kv[0])]


def _why(name: str, records: list[dict]) -> str | None:
    """Why ``name`` has no result, as far as the records tell (None: not a sharded folder)."""
    for r in records:
        if name in r.get("failed", {}):
            return f"failed in shard {r['shard']}"
    for r in records:
        if name in r.get("sequences", []):
            if r.get("state") == "finished":  # its result was there and is gone
                return f"shard {r['shard']} finished, result removed since"
            return f"shard {r['shard']} not finished (still running, or stopped)"
    counts = sorted({int(r["shard"].split("/")[1]) for r in records})
    if len(counts) == 1:
        own = f"{shard_of(name, counts[0])}/{counts[0]}"
        if any(r["shard"] == own for r in records):  # e.g. that shard ran with --sequences
            return f"shard {own} ran without it"
        return f"shard {own} never ran"
    if records:
        return "no shard ran it"
    return None


def describe_missing(tracker_dir, missing, limit: int = 5) -> str:
    """``missing`` sequence names grouped by what the shard records say, at most ``limit`` names
    a group, e.g. ``"Beta, Delta: shard 2/2 never ran"``; plain names in an unsharded folder."""
    records = read_records(tracker_dir)
    groups: dict[str | None, list[str]] = {}
    for name in missing:
        groups.setdefault(_why(name, records), []).append(name)
    parts = []
    for why, names in groups.items():
        shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
        parts.append(f"{shown}: {why}" if why else shown)
    return "; ".join(parts)
