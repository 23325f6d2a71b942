"""File input and output shared by every part of the package: atomic writes, JSON reading.

Atomic writes: every file the package writes (results, reports, plots, videos, weights and their
model cards, checkpoints, exports, training logs) is first written to a *unique* temporary file
beside its target (same folder, so the rename cannot cross file systems; same extension, so
writers that choose a format by it -- OpenCV's video writer, matplotlib -- still do), flushed to
disk (fsync), and only then renamed over the target. A reader, or a run interrupted at any point,
sees the old file or the new one, never half of one; on error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from siamfc.errors import DataError, SiamFCError


def _read_umask() -> int:
    """The process umask, read without changing it where the system says it (Linux: /proc).

    Elsewhere the only way is to set it and put it back; that is done once, here at import,
    because while it is 0 another thread (an upload, a decoder) would create world-writable files.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # the most restrictive value for the instant it is set
    os.umask(mask)
    return mask


#: Permissions of a plainly created file (0o666 less the umask); mkstemp's are owner-only.
#: Read once: a program that changes its umask later (none of ours does) keeps the first value.
DEFAULT_MODE = 0o666 & ~_read_umask()


class AtomicFile:
    """A unique temporary file beside ``path`` that replaces ``path`` on :meth:`commit`.

    Use as a context manager (commit on success, discard on error) or call :meth:`commit` /
    :meth:`discard` yourself (a streaming writer such as :class:`~siamfc.io.video.VideoWriter`).
    ``tmp`` is the temporary path to write to; it exists (empty) from the start.
    """

    def __init__(self, path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=f".tmp{self.path.suffix}"
        )
        os.close(fd)
        self.tmp = Path(name)

    def _finish(self) -> None:
        """fsync the temporary file and give it normal permissions (before it takes ``path``)."""
        with open(self.tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(self.tmp, DEFAULT_MODE)

    def commit(self) -> Path:
        """fsync the temporary file, give it normal permissions and rename it over ``path``."""
        try:
            self._finish()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        _fsync_folder(self.path.parent)
        return self.path

    def commit_if_absent(self) -> bool:
        """Like :meth:`commit`, but only if ``path`` does not exist yet: True if this call made it.

        Of several processes that try at once, exactly one succeeds (a hard link, unlike a rename,
        fails when its target exists); the file is complete whenever it exists. Where the file
        system has no hard links, an existence check and a rename stand in (a race may then let
        two writers through, the last one's file winning whole).
        """
        try:
            self._finish()
            try:
                os.link(self.tmp, self.path)
            except FileExistsError:
                return False
            except OSError:  # no hard links here
                if self.path.exists():
                    return False
                os.replace(self.tmp, self.path)
            _fsync_folder(self.path.parent)
            return True
        finally:
            self.discard()

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def writable_folder(path, what: str = "files", keep: bool = True) -> Path:
    """Create the folder ``path`` (and its parents) and check that a file can be written in it;
    else one line saying why (``what`` names what was to be written: "the export", "the run").

    ``keep=False``: only check -- the folders this call created are removed again, so that a
    command that fails later (bad data) leaves nothing behind.
    """
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise SiamFCError(f"cannot write {what} to {path}: {parent} is a file, not a folder")
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise SiamFCError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    finally:
        if not keep:
            for folder in created:  # deepest first
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return path


def replace_atomically(path, write) -> Path:
    """Call ``write(tmp_path)`` (any writer that takes a path), then rename the result over ``path``."""
    with AtomicFile(path) as f:
        write(f.tmp)
    return f.path


def write_bytes_atomic(path, data: bytes) -> Path:
    return replace_atomically(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see the module doc)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def create_text_atomic(path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless ``path`` exists; True if this call wrote it.

    For a file that several processes may try to create at once (the ``run.json`` of a results
    folder shared by the shards of an array job): one of them writes it, the others keep theirs.
    """
    f = AtomicFile(path)
    try:
        f.tmp.write_bytes(text.encode("utf-8"))
    except BaseException:
        f.discard()
        raise
    return f.commit_if_absent()


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes (weights in model cards and result provenance)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_text(path, what: str = "file") -> str:
    """A text file's contents (UTF-8, a byte-order mark dropped); DataError naming the file if it
    is missing, unreadable or not UTF-8 text."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def read_json(path, what: str = "file"):
    """Parse a JSON file; DataError naming the file if it is missing or malformed."""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:  # nested deeper than Python's parser goes: no file of ours is
        raise DataError(f"{path}: not valid JSON (nested too deeply)") from None
