"""Split work over machines: shard ``K/N`` of a list of names, chosen by a hash of each name.

    shard = parse_shard("2/4")          # the second of four shards (K counts from 1)
    mine = shard.select(seqs.names)     # the names this shard does

A name's shard is ``sha256(name) mod N`` (plus one), so it depends on the name alone: not on its
position, on the order of the list, or on which other names are in it. Every process of an array
job therefore computes the same split without talking to the others, the N shards together cover
every name exactly once, and adding a sequence to a dataset moves no other sequence to another
shard. Shards are balanced on average (the hash is uniform), not exactly: with few names per
shard, counts of, say, 3 and 5 are normal.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from siamfc.errors import ConfigError


def shard_of(name: str, count: int) -> int:
    """The shard (1..``count``) that ``name`` belongs to: its SHA-256 (UTF-8) modulo ``count``, plus one."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1 <= index <= count)."""

    index: int
    count: int

    def owns(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index

    def select(self, names) -> list[str]:
        """The names of this shard, in their given order."""
        return [n for n in names if self.owns(n)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"K/N"`` -> :class:`Shard`; ConfigError naming the problem otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise ConfigError(f"--shard must be K/N (e.g. 2/4: the second of four shards), got {text!r}")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ConfigError(f"--shard {text}: K must be 1 to N (shards count from 1), and N at least 1")
    return Shard(index, count)
