"""Replacing a file so a reader sees the old bytes or the new ones, never a mix, and a crash loses neither.

Stdlib only (the store and the services both write files this way). The temp file lives in the target's
folder (a rename across file systems is not atomic) and is created with O_CREAT|O_EXCL|O_NOFOLLOW: a file
or symlink someone planted at that name is never opened, let alone written through; another name is
tried instead. The data is fsynced before the rename and the folder after it, so the rename itself
survives a power cut.
"""

from __future__ import annotations

import os

NEW_FILE_MODE = 0o644
_ATTEMPTS = 8
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def create_temp(path: str | os.PathLike, mode: int | None = None) -> tuple[int, str]:
    """(fd, name) of a new empty file beside `path` with `mode`, else the mode of the file it will replace
    (NEW_FILE_MODE when there is none). The mode is set exactly, whatever the umask. Raises OSError."""
    path = os.fspath(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = NEW_FILE_MODE
    folder, name = os.path.split(path)
    for attempt in range(_ATTEMPTS):
        # The pid comes last, where nerv.store.leftovers looks for the owner of a stale one.
        suffix = str(os.getpid()) if attempt == 0 else f"{os.urandom(4).hex()}.{os.getpid()}"
        tmp = os.path.join(folder, f".{name}.{suffix}.tmp")
        try:
            fd = os.open(tmp, _FLAGS, mode & 0o777)
        except FileExistsError:
            continue
        try:
            os.fchmod(fd, mode)
        except BaseException:
            discard(fd, tmp)
            raise
        return fd, tmp
    raise FileExistsError(f"no free temporary name beside {path}")


def commit(fd: int, tmp: str, path: str | os.PathLike, *, sync_folder: bool = True) -> None:
    """fsync and close `fd`, rename `tmp` over `path`, fsync the folder (unless the caller syncs it once for
    many files: `sync_folder=False`, then fsync_dir). On failure `tmp` is removed."""
    try:
        os.fsync(fd)
    except BaseException:
        discard(fd, tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    if sync_folder:
        fsync_dir(os.path.dirname(os.fspath(path)) or ".")


def discard(fd: int, tmp: str) -> None:
    """Close and remove a temp file from create_temp that will not be committed."""
    try:
        os.close(fd)
    except OSError:
        pass
    _unlink_quietly(tmp)


class Replacement:
    """`with Replacement(path) as handle:` the handle's content replaces `path` when the block ends without
    an exception; with one, `path` is untouched and the temp file is removed. The temp file is created here,
    so a folder that cannot be written raises OSError before the block runs. Binary; text with `encoding`."""

    def __init__(self, path: str | os.PathLike, *, mode: int | None = None, encoding: str | None = None,
                 newline: str | None = None, buffering: int = -1, sync_folder: bool = True):
        self.path, self.sync_folder = path, sync_folder
        self.fd, self.tmp = create_temp(path, mode)
        try:
            # A second descriptor: closing the handle flushes it, the first stays open for fsync.
            self.handle = os.fdopen(os.dup(self.fd), "w" if encoding else "wb", buffering=buffering,
                                    encoding=encoding, newline=newline)
        except BaseException:
            discard(self.fd, self.tmp)
            raise

    def __enter__(self):
        return self.handle

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.handle.close()
        except BaseException:
            discard(self.fd, self.tmp)
            raise
        if exc_type is not None:
            discard(self.fd, self.tmp)
            return
        commit(self.fd, self.tmp, self.path, sync_folder=self.sync_folder)


def write_bytes(path: str | os.PathLike, data: bytes, *, mode: int | None = None, sync_folder: bool = True) -> None:
    """Replace `path` with `data` (see Replacement for the guarantees, and commit for `sync_folder`)."""
    with Replacement(path, mode=mode, sync_folder=sync_folder) as handle:
        handle.write(data)


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename in `path` durable; a folder that cannot be opened or synced (some file systems) is skipped."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
