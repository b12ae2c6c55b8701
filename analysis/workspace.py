"""Where a build may write and what it leaves: --out checks, its lock, private temp folders, tied children."""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: msvcrt byte-range locks instead (see _try_lock)
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_NAME",
    "PACKAGE",
    "TEMP_PREFIX",
    "BuildRunning",
    "OutRefused",
    "Stopped",
    "Workspace",
    "check_out",
    "die_with_parent",
    "kernel_config",
    "kernel_manager_class",
    "kernel_sockets",
    "kill_tree",
    "linked",
    "lock_out",
    "parent_alive",
    "popen_tie",
    "refuse_links",
    "remove_legacy",
    "stop_on_sigterm",
    "sweep",
    "worker_environ",
    "workspace",
]

log = logging.getLogger(__name__)

PACKAGE = "reoffending-workbook"
# Held (flock) by the build writing into --out, for its whole life; never deleted, because
# deleting a lock file others may be waiting on lets two builds hold "the" lock at once. Its
# presence also marks the folder as a build's, even one killed before it wrote build.json.
LOCK_NAME = ".workbook-build.lock"
# Working folders in the temp dir: short, because a kernel's socket path inside one may be at
# most 104 bytes on macOS, whose temp dir is long.
TEMP_PREFIX = "workbook-build-"
_STAGING_PREFIX = ".workbook-build-new-"
_FOLDER_LOCK = ".lock"
# What builds before this module left inside --out: the unsuppressed snapshot and scratch folders.
_LEGACY = ("_snapshot", ".build-*")
_PROJECT_README = Path(__file__).resolve().parent.parent / "reports" / "README.md"


class OutRefused(ValueError):
    """The --out folder cannot be used: no report, record or working file has been written."""


class BuildRunning(OutRefused):
    """Another build holds the lock on the --out folder."""


class Stopped(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) asked the build to stop: a KeyboardInterrupt, so it cleans up and ends the run.

    A KeyboardInterrupt, not only a BaseException: callers that run the build in-process stop
    for it as for Ctrl-C. As a plain BaseException, pytest counted a SIGTERM to its process as one
    failed test and went on to start the next build.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}"


# ---------------------------------------------------------------------------------------------
# What --out may be


def check_out(out_dir: Path, data_dir: Path) -> None:
    """Refuse an --out that is not a new or empty folder, a previous build, or the project's reports/.

    Also refused: a file, /, the home folder or a folder holding it, and the data (the folder,
    inside it, or a folder holding it). ``out_dir`` and ``data_dir`` must be resolved.
    """
    try:
        home: Path | None = Path.home().resolve()
    except (KeyError, RuntimeError):  # no HOME and no password entry: no home folder to protect
        home = None
    if out_dir.exists() and not out_dir.is_dir():
        raise OutRefused(f"--out {out_dir} is a file, not a folder")
    if out_dir == Path(out_dir.anchor):
        raise OutRefused(f"--out {out_dir} is the root of the file system; choose a folder for the reports")
    if out_dir == home:
        raise OutRefused(f"--out {out_dir} is your home folder; choose a folder for the reports")
    if home is not None and home.is_relative_to(out_dir):
        raise OutRefused(f"--out {out_dir} holds your home folder; choose a folder for the reports")
    if out_dir == data_dir:
        raise OutRefused(f"--out {out_dir} is the data folder; the reports must go elsewhere")
    if out_dir.is_relative_to(data_dir):
        raise OutRefused(f"--out {out_dir} is inside the data folder {data_dir}; put the reports elsewhere")
    if data_dir.is_relative_to(out_dir):
        raise OutRefused(f"--out {out_dir} holds the data {data_dir}; the reports must go elsewhere")
    try:
        ours = not out_dir.is_dir() or _is_ours(out_dir)
    except OSError as exc:  # a folder we may not list
        raise OutRefused(f"cannot read --out {out_dir}: {exc.strerror or exc}") from None
    if not ours:
        entries = sorted(p.name for p in out_dir.iterdir())
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise OutRefused(f"--out {out_dir} is not empty and not a previous build (it holds {shown}, and no "
                         f"build.json from {PACKAGE}); choose a new or empty folder")


def _is_ours(folder: Path) -> bool:
    """Empty, a previous build (its build.json, or the lock only a build makes), or reports/ as committed."""
    entries = {p.name for p in folder.iterdir()}
    if not entries - {LOCK_NAME}:
        return True
    lock = folder / LOCK_NAME
    if lock.is_file() and not lock.is_symlink():
        return True
    try:
        manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and manifest.get("package") == PACKAGE:
            return True
    except (OSError, ValueError):
        pass
    readme = folder / "README.md"
    return (entries == {"README.md"} and readme.is_file() and not readme.is_symlink()
            and _PROJECT_README.is_file() and readme.read_bytes() == _PROJECT_README.read_bytes())


# ---------------------------------------------------------------------------------------------
# One build at a time per --out


@contextlib.contextmanager
def lock_out(out_dir: Path) -> Iterator[None]:
    """Create --out if needed and hold its lock for the build's life; BuildRunning if another has it.

    An OS lock (flock), so a build killed with SIGKILL releases it with its last file descriptor:
    no stale lock to clear by hand, whatever became of its pid.
    """
    lock = out_dir / LOCK_NAME
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        if lock.is_symlink():
            raise OutRefused(f"--out {out_dir} holds a symbolic link at {LOCK_NAME}; remove it") from None
        raise OutRefused(f"cannot write to --out {out_dir}: {exc.strerror or exc}") from None
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            raise BuildRunning(f"another build{f' (pid {holder})' if holder else ''} is writing to --out "
                               f"{out_dir}; wait for it to finish or choose another folder")
        _describe(fd, {"package": PACKAGE, "pid": os.getpid(), "purpose": "the lock of a build writing here"})
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # Windows: a lock on the first byte, released when the process ends

    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _describe(fd: int, info: dict[str, Any]) -> None:
    """Write who holds a lock into its file, for the message another build gives; best effort."""
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(info) + "\n").encode())
    except OSError:  # a full disk: the lock holds all the same
        pass


def _holder(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(json.loads(os.read(fd, 4096).decode() or "{}").get("pid"))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------------------------------------
# Never through a link


def linked(out_dir: Path, paths: Iterable[Path]) -> Path | None:
    """The first folder or file from out_dir down to one of the paths that is a symbolic link, if any."""
    checked: set[Path] = set()
    for path in paths:
        current = out_dir
        for part in path.relative_to(out_dir).parts:
            current = current / part
            if current not in checked:
                checked.add(current)
                if current.is_symlink():
                    return current
    return None


def refuse_links(out_dir: Path, paths: Iterable[Path]) -> None:
    """OutRefused if any folder or file from out_dir down to each path is a symbolic link.

    The build writes by renaming temp files into place, which would replace a linked file, but a
    linked folder would take every write (and every removal of a stale report) outside --out.
    Refusing, rather than replacing the link, leaves the user's link and what it points at alone.
    """
    link = linked(out_dir, paths)
    if link is not None:
        raise OutRefused(f"--out {out_dir} holds a symbolic link at {link.relative_to(out_dir)} (to "
                         f"{os.readlink(link)}); the build never writes through links: remove it or "
                         "choose another folder")


def remove_legacy(out_dir: Path) -> None:
    """Remove what builds before the temp-folder scheme left in --out (call under its lock)."""
    for pattern in _LEGACY:
        for path in out_dir.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                log.info("Removed %s, left by an earlier build", path)


# ---------------------------------------------------------------------------------------------
# The snapshot and working files: a private folder in the temp dir, never in --out


@dataclass
class Workspace:
    """A build's private folder in the temp dir, locked for the build's life and removed after it."""

    root: Path
    _fd: int

    @property
    def snapshot(self) -> Path:
        return self.root / "snapshot.pkl"

    @property
    def scratch(self) -> Path:
        """Where papermill writes each notebook while it runs."""
        return self.root / "scratch"

    @property
    def tmp(self) -> Path:
        """TMPDIR for workers and their kernels (`worker_environ`)."""
        return self.root / "tmp"

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        os.close(self._fd)  # only now may another build's sweep take the lock


def worker_environ(root: Path | None) -> dict[str, str]:
    """This environment with TMPDIR in the working folder ``root``, when this machine has it.

    Whatever a worker, its kernel or a renderer leaves in the temp dir (a killed one's too:
    connection files, pandoc's and Typst's work) then goes with the build's folder.
    """
    environ = dict(os.environ)
    if root is not None and (root / "tmp").is_dir():
        environ["TMPDIR"] = str(root / "tmp")
    return environ


# A Unix socket's path fits in sockaddr_un.sun_path: 108 bytes on Linux, 104 on macOS, NUL
# included; jupyter_client adds "-<n>" to the prefix for each of a kernel's five sockets.
_SUN_PATH = 104 if sys.platform == "darwin" else 108
_SOCKET_SUFFIX = len("-99999") + 1


@contextlib.contextmanager
def kernel_sockets(root: Path | None) -> Iterator[str | None]:
    """A name for one kernel's Unix sockets, private to it; none of its sockets outlive it.

    jupyter_client finds "free" TCP ports, closes them and has the kernel bind them; with kernels
    starting side by side another process can take a port in between, and the kernel dies at
    start with "Address already in use" (it failed a CI run). Sockets under a name of our own
    cannot be taken. On Linux the name is in the abstract namespace ("@wb-<random>"): no file
    at all, so nothing is left when a kernel is killed, and no path to outgrow the 108 bytes a
    socket address holds (a deep temp dir, as pytest's or macOS's, made every kernel fail).
    Elsewhere the sockets sit in a folder of ``root`` (the build's folder) removed afterwards,
    or, when that path would be too long, TCP and the build's retry. ZMQ has no Unix sockets on
    Windows: None (TCP). A remote Dask worker that does not share the temp dir passes no root.
    """
    if sys.platform == "win32":
        yield None
    elif sys.platform.startswith("linux"):
        yield f"@wb-{secrets.token_hex(8)}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="k", dir=root))  # short: see TEMP_PREFIX
        try:
            prefix = str(folder / "s")
            fits = len(os.fsencode(prefix)) + len("2") + _SOCKET_SUFFIX <= _SUN_PATH
            yield prefix if fits else None
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def kernel_config(sockets: str | None, attempt: int, log: Path | None = None) -> dict[str, Any]:
    """papermill keywords for a kernel on the Unix sockets named ``sockets`` (none: TCP), writing to ``log``.

    Each attempt gets names of its own, so a retry never meets the first kernel's sockets. The
    kernel's own stdout and stderr go to ``log`` (see `kernel_manager_class`); None: inherited.
    """
    from traitlets.config import Config

    config: dict[str, Any] = {}
    if sockets is not None:
        config["KernelManager"] = {"transport": "ipc", "ip": f"{sockets}{attempt}"}
    if log is not None:
        config["TiedKernelManager"] = {"kernel_log": str(log)}
    return {"config": Config(config)} if config else {}


@contextlib.contextmanager
def workspace(out_dir: Path | None = None) -> Iterator[Workspace]:
    """Sweep dead builds' folders, then make, lock and yield this build's; removed on every way out."""
    root = Path(tempfile.gettempdir())
    sweep(root)
    made = _create(root, out_dir)
    try:
        yield made
    finally:
        made.remove()


def _create(root: Path, out_dir: Path | None) -> Workspace:
    """Make the folder under a staging name, lock it, then rename it into view.

    A sweep never sees a folder of ours before it is locked; a staging folder it removes in the
    moment before its lock is taken makes the rename (or the inode check) fail, and we try again.
    """
    error: OSError | None = None
    for _ in range(5):
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
        fd = -1
        try:
            fd = os.open(staging / _FOLDER_LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600)
            if not _try_lock(fd):
                raise BlockingIOError("a sweep holds the new folder's lock")
            final = root / (TEMP_PREFIX + staging.name[len(_STAGING_PREFIX):])
            os.rename(staging, final)
            if not os.path.samestat(os.stat(final / _FOLDER_LOCK), os.fstat(fd)):
                raise FileNotFoundError("the new folder's lock was swept")
        except OSError as exc:
            error = exc
            if fd >= 0:
                os.close(fd)
            shutil.rmtree(staging, ignore_errors=True)
            continue
        _describe(fd, {"package": PACKAGE, "pid": os.getpid(), "out": str(out_dir) if out_dir else None,
                       "purpose": "a build's working folder: removed when it ends, or swept by the next "
                                  "build once no process holds this lock"})
        for folder in ("scratch", "tmp"):
            (final / folder).mkdir()
        return Workspace(final, fd)
    raise OSError(f"could not make a working folder in {root}: {error}")


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the working folders of builds that died (kill -9, a crash); return them.

    A folder is removed only when its lock can be taken: a running build, in this or another
    checkout, holds its own. PIDs are reused; locks die with the process. Only folders of this
    user: another user's are theirs to sweep.
    """
    root = Path(root or tempfile.gettempdir())
    removed = []
    for folder in [*root.glob(f"{TEMP_PREFIX}*"), *root.glob(f"{_STAGING_PREFIX}*")]:
        try:
            if folder.is_symlink() or not folder.is_dir() or (
                    hasattr(os, "getuid") and folder.stat().st_uid != os.getuid()):
                continue
            fd = os.open(folder / _FOLDER_LOCK, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:  # gone, not ours, or (staging) not locked yet: never guess
            continue
        try:
            if _try_lock(fd):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
                log.info("Removed %s, left by a build that did not finish", folder)
        finally:
            os.close(fd)
    return removed


# ---------------------------------------------------------------------------------------------
# Children die with the build


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _libc_prctl()
_PR_SET_PDEATHSIG = 1
_SIGKILL = 9
_TIED = False  # a watching thread already runs (not Linux)


def _kill_me_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL): also run between fork and exec (preexec_fn), so one C call."""
    _PRCTL(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)


def die_with_parent(parent_alive: Callable[[], bool] | None = None) -> None:
    """Have this process killed when its parent dies, and exit now if the build is already gone.

    Linux: the kernel sends SIGKILL when the parent *thread* that started us ends, even on the
    parent's SIGKILL. ``parent_alive`` closes the race of a parent that died before we asked.
    Elsewhere (macOS, Windows) nothing equivalent exists: a daemon thread polls the parent's pid
    each second and exits when it changes (reparented), so children linger up to a second.
    """
    global _TIED
    if _PRCTL is not None:
        _kill_me_with_parent()
    elif not _TIED:
        original = os.getppid()

        def watch() -> None:
            while os.getppid() == original:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="die-with-parent", daemon=True).start()
        _TIED = True
    if parent_alive is not None and not parent_alive():
        os._exit(1)


def kill_tree(process: Any, *, grace: float) -> None:
    """Kill a worker (a multiprocessing.Process or alike) and every process it started.

    Its kernel runs in its own session, so no signal to the worker's group reaches it.
    """
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except (psutil.NoSuchProcess, ValueError, TypeError):
        children = []
    if process.is_alive():
        process.kill()
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(children, timeout=grace)
    process.join(grace)


def parent_alive() -> bool:
    """Whether the process that started this multiprocessing child (the build, for a forkserver's) runs."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    return parent is None or parent.is_alive()


def popen_tie() -> dict[str, Any]:
    """Popen keywords that tie a child to the thread starting it (Linux; {} elsewhere)."""
    return {"preexec_fn": _kill_me_with_parent} if _PRCTL is not None else {}


_KERNEL_MANAGER: type | None = None


def kernel_manager_class() -> type:
    """jupyter_client's AsyncKernelManager, with each kernel killed by the OS when its worker dies.

    A kernel runs in its own session (jupyter_client), so it gets no signal meant for the worker;
    ipykernel's own parent poller would notice a dead worker only within a second, and not on a
    platform without it. The kernel is started from the worker's main thread (nbclient runs its
    event loop there), which lives as long as the worker. Elsewhere than Linux that poller is all.
    """
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is None:
        import zmq.asyncio
        from jupyter_client import AsyncKernelManager
        from traitlets import Unicode, default

        class TiedKernelManager(AsyncKernelManager):
            # One zmq context per worker process for every kernel and client, never collected:
            # a context of its own per kernel, left to the garbage collector with a socket still
            # open (a failed start, a killed kernel), makes Context.term() wait for that socket
            # for ever, and the worker hung in the middle of its next job (pyzmq #1167;
            # jupyter_client #482). Sockets are still closed one by one as each kernel stops.
            @default("context")
            def _shared_context(self) -> zmq.asyncio.Context:
                return zmq.asyncio.Context.instance()

            def client(self, **kwargs: Any) -> Any:
                return super().client(**{"context": self.context, **kwargs})

            # The kernel process's own output is not the notebook's (cells' output comes over
            # ZMQ): tornado's and ipykernel's tracebacks from a shutdown race ("Socket operation
            # on non-socket" as a failing build stopped its kernel) reached the build's stderr
            # and a user's terminal. They go to a file the build reads when a kernel dies.
            kernel_log = Unicode("", help="File for the kernel's stdout and stderr; empty: inherited.").tag(
                config=True
            )

            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                kw = {**popen_tie(), **kw}
                if not self.kernel_log:
                    return await super()._async_launch_kernel(kernel_cmd, **kw)
                try:
                    output: Any = open(self.kernel_log, "ab")  # noqa: SIM115 - closed once started
                except OSError:
                    output = subprocess.DEVNULL
                try:
                    return await super()._async_launch_kernel(
                        kernel_cmd, **{"stdout": output, "stderr": output, **kw}
                    )
                finally:
                    if output is not subprocess.DEVNULL:
                        output.close()  # the kernel holds its own copy

        _KERNEL_MANAGER = TiedKernelManager
    return _KERNEL_MANAGER


# ---------------------------------------------------------------------------------------------
# SIGTERM: an orderly exit, like Ctrl-C


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP, unless ignored) into `Stopped` while the build runs, so its cleanup runs.

    Only in the main thread (where Python delivers signals); a second signal during the cleanup
    is ignored, since the first already asked for what it would. Previous handlers are restored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGTERM]
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
        wanted.append(signal.SIGHUP)

    def stop(signum: int, frame: Any) -> None:
        for sig in wanted:
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
