"""Every file and directory cpo writes goes through here. What it guarantees:

- **Nothing cpo did not write is deleted or overwritten.** An output directory may be replaced
  only if it is new, empty, or holds cpo's `manifest.json` listing every file in it; a file
  only if it is new or its owner test (a PNG text chunk, a model file's first line) says cpo
  wrote it. Otherwise `OutputError` names the path, what was found and what was expected, and
  nothing is changed.
- **Atomic.** Content is staged beside the target under a name that is recognisably cpo's,
  `.<name>.cpo-staging.<host>.<pid>.<token>[<suffix>]`, then renamed into place. A directory
  that exists is swapped with its staged successor in one step (Linux `renameat2` with
  `RENAME_EXCHANGE`); where that is unavailable its files are replaced one by one, each
  atomically, `manifest.json` last, so the directory is never absent. A kill at any moment
  leaves the old complete output or the new one (file by file in that fallback).
- **The user's umask.** Files are created with `O_CREAT | O_EXCL` and mode 0666, directories
  with mode 0777, so the kernel applies the umask (a group sharing a folder can read results).
- **Durable.** Each file is fsynced before its rename, and its directory after.
- **No debris.** Staging is removed on every error, KeyboardInterrupt and (the CLI turns it
  into an exception) SIGTERM; staging left by a killed process (SIGKILL) is removed by the
  next write into that directory on the same host once that process is gone. Removal, too,
  deletes only what a cpo manifest lists.
- **Recorded.** `manifest()` says how an output was made: argv, versions, platform, options,
  the SHA-256 of every input; a directory's `manifest.json` adds the SHA-256 of every file.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import platform
import re
import secrets
import socket
import stat
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import OutputError

MANIFEST = "manifest.json"
SHOWN_NAMES = 10
"""Entries named in a refusal before `and N more`."""


def refusal(path: Path, found: str, expected: str) -> OutputError:
    """`PATH: found X, expected Y; nothing was changed` as an OutputError."""
    return OutputError(f"{path}: found {found}, expected {expected}; nothing was changed")


# ---------------------------------------------------------------- single files


@contextlib.contextmanager
def staged_file(target: str | Path, is_ours: Callable[[Path], bool] | None = None,
                expected: str = "a new file", tidy: bool = True) -> Iterator[Path]:
    """Yield a new, empty staging path beside `target` for the caller to fill (by path: HiGHS,
    matplotlib and pandas write files themselves; it ends in target's suffix, in lower case,
    so tools that pick a format by suffix pick the right one). When the block ends, the
    staging file is fsynced and renamed onto `target` in one step, then the directory is
    fsynced; on any exception it is removed and `target` is untouched.

    Refuses (OutputError, before anything is written) a directory or special file at `target`,
    and an existing file unless `is_ours(target)` says cpo wrote it (`expected` describes what
    is accepted); `is_ours=None` means the caller vouches for the path (a sweep's own files).
    `tidy` first removes stale staging in target's directory (remove_stale_staging); a sweep
    does that once for its folders rather than once per point."""
    target = _real(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if tidy:
        remove_stale_staging(target.parent)
    check_file(target, is_ours, expected)
    staging = _staging_path(target.parent, target.name, target.suffix.lower())
    os.close(_open_new(staging))
    try:
        yield staging
        _fsync_file(staging)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write_file(target: str | Path, data: bytes, is_ours: Callable[[Path], bool] | None = None,
               expected: str = "a new file", tidy: bool = True) -> None:
    """`data` into `target` atomically, with staged_file's guarantees and refusals."""
    with staged_file(target, is_ours, expected, tidy) as staging:
        staging.write_bytes(data)


def check_file(target: str | Path, is_ours: Callable[[Path], bool] | None, expected: str) -> None:
    """Raise OutputError unless `target` is absent or a regular file cpo may replace (see
    staged_file; callers may check early, before long work, as well)."""
    target = _real(target)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise refusal(target, "a directory", expected)
    if not stat.S_ISREG(mode):
        raise refusal(target, "a special file (not a regular file)", expected)
    if is_ours is not None and not is_ours(target):
        raise refusal(target, "a file cpo did not write", expected)


# ---------------------------------------------------------------- directories


def write_directory(target: str | Path, files: dict[str, bytes], manifest: dict[str, Any]) -> Path:
    """`files` (name -> content) and `manifest.json` (`manifest` plus the SHA-256 of each file
    under "files") as the directory `target`, replacing what is there atomically (see the
    module docstring). Refuses (OutputError, nothing changed) a file at `target`, or a
    directory holding anything its cpo manifest does not list (every entry, without one)."""
    target = _real(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target.parent)
    existed = check_directory(target)
    staging = _staging_path(target.parent, target.name)
    os.mkdir(staging, 0o777)
    try:
        _fill(staging, files, manifest)
    except BaseException:
        remove_output(staging)
        raise
    if not existed:
        _rename_new(staging, target)
    elif not _swap(staging, target):
        _replace_file_by_file(staging, target)
    return target


def directory_entries(target: Path, expected: str) -> list[str] | None:
    """The entries of directory `target`, sorted, directories ending in '/'; None if it does
    not exist; OutputError if something else is there (`expected` says what would do)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(mode):
        raise refusal(target, "a file, not a directory", expected)
    return [_shown(entry) for entry in _entries(target)]


def check_directory(target: str | Path) -> bool:
    """Whether `target` exists; raise OutputError if it is not a directory cpo may replace (see
    write_directory; callers may check early, before long work, as well)."""
    target = _real(target)
    expected = "a new or empty directory, or one cpo wrote (its manifest.json lists every file in it)"
    if directory_entries(target, expected) is None:
        return False
    foreign = foreign_entries(target)
    if not foreign:
        return True
    if listed_files(target) is not None:
        raise refusal(target, f"{listing(foreign)} that its manifest.json does not list", expected)
    if os.path.lexists(target / MANIFEST):
        raise refusal(target, f"{listing(foreign)} and a manifest.json that lists no files (not cpo's, or "
                      "written by an earlier cpo, whose manifests did not)", expected)
    raise refusal(target, f"{listing(foreign)} and no manifest.json of cpo's", expected)


def _fill(staging: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Write manifest.json first (so removing a half-filled staging directory knows what is
    cpo's), then each file; fsync the directory."""
    document = {**manifest, "files": {name: sha256(data) for name, data in files.items()}}
    _create(staging / MANIFEST, (json.dumps(document, indent=1, sort_keys=True) + "\n").encode())
    for name, data in files.items():
        _create(staging / name, data)
    _fsync_dir(staging)


def _rename_new(staging: Path, target: Path) -> None:
    """Rename `staging` to the absent `target` (fails, removing staging, if a non-empty
    directory appeared there meanwhile)."""
    try:
        os.rename(staging, target)
    except BaseException:
        remove_output(staging)
        raise
    _fsync_dir(target.parent)


def _swap(staging: Path, target: Path) -> bool:
    """Exchange `staging` and `target` in one step, then remove the old output (now at the
    staging name). What was swapped out is checked again, closing the window since
    check_directory: if something unlisted appeared, the two are swapped back and
    OutputError raised. False, with nothing changed, where the exchange is unavailable."""
    if not _exchange(staging, target):
        return False
    try:
        foreign = foreign_entries(staging)
        if foreign:
            _exchange(staging, target)
            raise refusal(target, f"{listing(foreign)} added while cpo was writing", "only the files cpo wrote")
        _fsync_dir(target.parent)
    finally:
        remove_output(staging)
    return True


def _replace_file_by_file(staging: Path, target: Path) -> None:
    """The fallback without an exchange: each staged file replaces its namesake in `target`
    (atomically), files the old manifest listed and the new one does not are removed, and the
    manifest comes last; `target` is never absent."""
    old, new = listed_files(target) or set(), listed_files(staging) or set()
    try:
        for name in sorted(new):
            os.replace(staging / name, target / name)
        for name in sorted(old - new):
            _unlink_regular(target / name)
        os.replace(staging / MANIFEST, target / MANIFEST)
        _fsync_dir(target)
    finally:
        remove_output(staging)


def listed_files(directory: Path) -> set[str] | None:
    """The plain file names `directory`'s cpo manifest.json lists (never paths: a manifest
    can name nothing outside its directory); None without a readable cpo manifest."""
    try:
        document = json.loads((directory / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or "cpo_version" not in document or not isinstance(document.get("files"), dict):
        return None
    return {name for name in document["files"] if isinstance(name, str) and name not in ("", ".", "..")
            and os.path.basename(name) == name}


def foreign_entries(directory: Path) -> list[str]:
    """Entries of `directory` cpo did not write: not listed in its manifest (all of them
    without one), or listed but no longer a regular file. Sorted; directories end in '/'."""
    listed = listed_files(directory)
    owned = listed | {MANIFEST} if listed is not None else set()
    return [_shown(entry) for entry in _entries(directory)
            if entry.name not in owned or not entry.is_file(follow_symlinks=False)]


def _entries(directory: Path) -> list[os.DirEntry]:
    """The entries of `directory`, sorted by name (the scan closed)."""
    with os.scandir(directory) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _shown(entry: os.DirEntry) -> str:
    """An entry's name as a message lists it: a directory's ends in '/'."""
    return entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")


def remove_output(directory: Path) -> None:
    """Remove the files `directory`'s manifest lists, then the manifest (last, so that a kill
    midway leaves what remains still listed), then the directory if that emptied it: a
    directory cpo wrote, or staged, goes; anything else in it stays."""
    for name in [*sorted((listed_files(directory) or set()) - {MANIFEST}), MANIFEST]:
        _unlink_regular(directory / name)
    with contextlib.suppress(OSError):
        os.rmdir(directory)


def listing(entries: list[str]) -> str:
    """`3 entries (a, b, c)`: the first SHOWN_NAMES named, then `and N more`."""
    shown = ", ".join(entries[:SHOWN_NAMES])
    more = f" and {len(entries) - SHOWN_NAMES} more" if len(entries) > SHOWN_NAMES else ""
    return f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'} ({shown}{more})"


# ---------------------------------------------------------------- staging names


_STAGING = re.compile(r"\.(?P<name>.+)\.cpo-staging\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{16}")


@functools.cache
def _host() -> str:
    """This machine's name as it appears in staging names (a shared folder sees several)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _staging_path(parent: Path, name: str, suffix: str = "") -> Path:
    """A fresh staging name for `name` in `parent`, recognisably cpo's and this process's."""
    return parent / f".{name}.cpo-staging.{_host()}.{os.getpid()}.{secrets.token_hex(8)}{suffix}"


def remove_stale_staging(directory: Path) -> None:
    """Remove staging files and directories in `directory` left by cpo processes of this host
    that are gone (killed), deleting only what their manifests list."""
    with contextlib.suppress(FileNotFoundError):
        for entry in _entries(directory):
            match = _STAGING.match(entry.name)
            if not match or match["host"] != _host() or _alive(int(match["pid"])):
                continue
            if entry.is_dir(follow_symlinks=False):
                remove_output(Path(entry.path))
            else:
                _unlink_regular(Path(entry.path))


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (outside POSIX: assumed, so nothing is removed)."""
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- system calls


def _real(target: str | Path) -> Path:
    """The absolute path written: through a symbolic link to where it points (the link stays)."""
    return Path(os.path.realpath(target))


def _open_new(path: Path) -> int:
    """Create `path`, which must not exist, mode 0666 less the umask; a descriptor to write."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666)


def _create(path: Path, data: bytes) -> None:
    """A new file holding `data`, fsynced."""
    with open(_open_new(path), "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _fsync_file(path: Path) -> None:
    """Make the content of the file at `path` durable."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_dir(path: Path) -> None:
    """Make renames in directory `path` durable (POSIX; Windows cannot open a directory)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unlink_regular(path: Path) -> None:
    """Remove `path` if it is a regular file (never a directory, link target or device)."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


RENAME_EXCHANGE = 2
AT_FDCWD = -100
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


@functools.cache
def _renameat2():
    """glibc's renameat2 (2.28 and later), or None (another C library, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap the entries at `a` and `b` in one step; False where the system or the filesystem
    cannot (nothing changed); OSError on any other failure."""
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


# ---------------------------------------------------------------- how an output was made


def sha256(data: bytes) -> str:
    """The SHA-256 of `data`, in hex."""
    return hashlib.sha256(data).hexdigest()


def file_hash(path: str | Path) -> str:
    """The SHA-256 of the file at `path`, in hex."""
    return sha256(Path(path).read_bytes())


def effective_config_sha256(scenario) -> str:
    """SHA-256 of the validated config after what-ifs and overrides (catalog included), as
    canonical JSON: equal exactly when the model's input data are equal."""
    config = scenario.config.model_dump(mode="json", by_alias=True)
    return sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())


def input_files(scenario, extra: Iterable[str | Path] = ()) -> list[Path]:
    """The files an output was made from: the scenario, its what-ifs, every file a value came
    from (the catalog's vendor files), then `extra` (a grid, compared what-ifs); no repeats."""
    files = [Path(scenario.path), *(Path(w) for w in scenario.whatifs)]
    locations = {loc.file for loc in scenario.tree.locations.values() if loc.file != "--set"}
    files += sorted(Path(f) for f in locations if Path(f) not in files)
    files += [Path(f) for f in extra]
    return list(dict.fromkeys(files))


def manifest(scenario, options: dict[str, Any], inputs: Iterable[str | Path] = (),
             seconds: dict[str, float] | None = None) -> dict[str, Any]:
    """How an output was made: argv, cpo, Python, platform and solver versions, `options`,
    the SHA-256 of every input (input_files) and of the effective config, timings."""
    document = {
        "cpo_version": cpo_version(),
        "argv": list(sys.argv),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "solver": solver_versions(),
        "inputs": [{"file": str(p), "sha256": file_hash(p)} for p in input_files(scenario, inputs) if p.exists()],
        "overrides": list(scenario.overrides),
        "effective_config_sha256": effective_config_sha256(scenario),
        "options": options,
        "created_unix": int(time.time()),
    }
    if seconds is not None:
        document["seconds"] = {k: round(v, 4) for k, v in seconds.items()}
    return document


def cpo_version() -> str:
    """This cpo's version (optimizer.__version__)."""
    from . import __version__

    return __version__


def solver_versions() -> dict[str, str]:
    """highspy, PuLP and HiGHS versions."""
    import pulp

    from .solver import quiet_highs

    highs = quiet_highs()
    return {"highspy": _package_version("highspy"), "pulp": pulp.__version__,
            "highs": f"{highs.versionMajor()}.{highs.versionMinor()}.{highs.versionPatch()}"}


def _package_version(package: str) -> str:
    """An installed distribution's version, or "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
