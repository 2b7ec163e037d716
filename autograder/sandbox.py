"""Run one command where a student's code can do no harm: the sandbox of every graded kernel and check.

    python autograder/sandbox.py [--read PATH]... [--write PATH]... [--env NAME]... [--memory-mb N] [--disk-mb N]
                                 [--processes N] -- COMMAND...

Plain Linux namespaces, nothing to install. The command runs as uid 1000 in its own user, mount, PID, IPC and
network namespaces. Outside, that uid is an otherwise unused one when the grader is root (mapping it needs
CAP_SETUID), and the grader's own uid otherwise (an unprivileged user namespace may map only its creator):

* **files**: its root is an empty tmpfs holding read-only copies of the system folders and of Python (and
  of each ``--read`` path), nothing else. The working folder (the current one) is a private tmpfs of
  ``--disk-mb`` filled with a copy of the real one: the command can write there and in its private
  ``/tmp``, both lost when it ends; ``--write`` paths are the only real folders it can change.
* **network**: none (the Jupyter kernel talks to nbgrader over Unix sockets, see ``autograde_config``).
* **memory**: each process gets at most ``--memory-mb`` of data (``RLIMIT_DATA``): a bigger allocation
  raises ``MemoryError`` in the student's cell, and the rest of the notebook runs on.
* **processes**: at most ``--processes`` tasks (threads included) for uid 1000 in the sandbox's user namespace
  (``RLIMIT_NPROC``, counted per namespace since Linux 5.14), so a fork bomb fails with ``BlockingIOError``
  instead of exhausting the machine, and the grader's own processes do not count.
* **leftovers**: when the command ends, or the sandbox is killed, every process in it is killed.
* **privileges**: none: no capability after exec, ``no_new_privs`` (no setuid program gains any), a session
  keyring of its own (not the grader's keys).
* **environment**: only the variables named in ``ENVIRONMENT`` and by ``--env``, by their exact names: a grader's
  tokens (``JPY_API_TOKEN``, ``TF_TOKEN_...``, ``LANGSMITH_API_KEY``) never reach the command, whatever they are
  called.

Why not bubblewrap: unprivileged, it uses the very same namespaces, and it would still need this file for what
it does not do (the size-limited private copy of the working folder, the memory and process limits, the
separate uid as root), so it would add a second mechanism and a package to install, and take nothing away.
``private_scratch`` gives a grading job memory file systems that only its own processes see, for its private
course: what a kernel writes in its records and runtime folders is bounded there and never reaches the disk.
``available()`` says which sandbox this machine gets, or why none (not Linux, or unprivileged user namespaces
switched off); ``python -m autograder.grade --no-sandbox`` grades without it.
This file runs as a script (it is the command of the graded kernel), so it imports nothing of the course.
"""
import argparse
import ctypes
import os
import shutil
import signal
import sys

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
KEYCTL_JOIN_SESSION_KEYRING = 1
STUDENT = 1000  # the uid and gid inside
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
UNSHARE = "unshare (user namespaces switched off? sysctl user.max_user_namespaces)"
DEFAULTS = {"memory_mb": 6144, "disk_mb": 512, "processes": 512}
# The environment variables every command keeps, by exact name (never by prefix: a prefix also passes on whatever
# secret happens to share it): the locale, and what Python, a Jupyter kernel and numpy's threads read. The caller
# names the rest (``--env``): the settings of its own that the command needs.
ENVIRONMENT = frozenset({"PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "PYTHONHASHSEED",
                         "PYTHONIOENCODING", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "JPY_PARENT_PID",
                         "OMP_NUM_THREADS", "MPLBACKEND"})

_libc = ctypes.CDLL(None, use_errno=True)


def wrap(command, read=(), write=(), env=(), memory_mb=DEFAULTS["memory_mb"], disk_mb=DEFAULTS["disk_mb"],
         processes=DEFAULTS["processes"]):
    """The command line that runs ``command`` in the sandbox, in the folder it is started from; ``env``: the names
    of the variables it keeps beyond ``ENVIRONMENT``."""
    options = [f"--read={p}" for p in read] + [f"--write={p}" for p in write] + [f"--env={name}" for name in env]
    options += [f"--memory-mb={memory_mb}", f"--disk-mb={disk_mb}", f"--processes={processes}"]
    return [sys.executable, os.path.abspath(__file__), *options, "--", *command]


def available():
    """(True, which sandbox) when this machine can run the sandbox, else (False, why)."""
    import subprocess
    import tempfile

    if not sys.platform.startswith("linux"):
        return False, "the sandbox needs Linux namespaces"
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run(wrap([sys.executable, "-c", "pass"]), cwd=empty, capture_output=True, text=True)
    if result.returncode != 0:
        return False, (result.stderr.strip().splitlines() or [f"it exited with {result.returncode}"])[-1][-300:]
    if os.geteuid() == 0:
        return True, "Linux namespaces, the student's code under a uid of its own"
    return True, f"unprivileged Linux namespaces, the student's code under your own uid ({os.getuid()}) outside"


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype=None, flags=0, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                       data and data.encode()), f"mount {target}")


def run(command, read=(), write=(), env=(), memory_mb=DEFAULTS["memory_mb"], disk_mb=DEFAULTS["disk_mb"],
        processes=DEFAULTS["processes"]):
    """Turn this process into the sandbox, run ``command`` in it from the current folder, return its exit code."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")  # die with whoever started us
    cwd = os.path.realpath(os.getcwd())
    writable = {os.path.abspath(p) for p in write}
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    if SYS_KEYCTL:  # fails only where keyrings are off, and then there is nothing to hide
        _libc.syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None)
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
    if os.geteuid() == 0:
        _map_as_root(flags)
    else:  # the namespace's creator maps its own uid, once it has denied itself setgroups
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(flags), UNSHARE)
        for name, line in (("setgroups", "deny"), ("uid_map", f"{STUDENT} {uid} 1"), ("gid_map", f"{STUDENT} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(line)
    # Opened in the new mount namespace, before the new root hides them; binds are made from these.
    sources = {path: os.open(path, os.O_PATH) for path in _read_paths(read) | writable | {cwd}}
    # SIGINT reaches the whole process group (nbgrader interrupting a cell): only the command acts on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init = os.fork()
    if init == 0:
        try:
            _init(command, cwd, sources, writable, ENVIRONMENT | set(env), memory_mb, disk_mb, processes)
        except BaseException as err:  # noqa: B902 (report any failure to set up, never run unconfined)
            print(f"sandbox: {err}", file=sys.stderr)
            os._exit(125)
    _, status = os.waitpid(init, 0)
    return os.waitstatus_to_exitcode(status)


def private_scratch(folders):
    """From now on, this process and every process it starts see at each of ``folders`` ({path: size in MB}, a
    folder before the folders inside it) a memory file system of that size, which no other process sees: what is
    written there never reaches the disk, and goes when the last of them ends.

    A mount namespace of its own (in a user namespace mapping the grader's own uid when it is not root, where only
    that gives the right to mount). Call it before the process starts a thread: unshare refuses to a threaded one.
    """
    if os.geteuid() == 0:
        _check(_libc.unshare(CLONE_NEWNS), UNSHARE)
    else:
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), UNSHARE)
        for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(line)
    _mount(None, "/", flags=MS_REC | MS_PRIVATE)  # nothing mounted here shows outside
    for path, size in folders.items():
        os.makedirs(path, exist_ok=True)
        _mount("scratch", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=755")


def fresh_scratch(path, size):
    """Replace the memory file system at ``path`` (one that ``private_scratch`` made, in this process) with a new,
    empty one of ``size`` MB: as a folder made anew, the grader's, whoever wrote in the last one."""
    _check(_libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")
    _mount("scratch", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=755")


def _map_as_root(flags):
    """Unshare, with uid 0 and a uid of the sandbox's own outside (the live pid makes it so) mapped by a helper
    that stays in the parent namespaces."""
    student = 100000 + os.getpid()
    ready = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.close(ready[1])
        if not os.read(ready[0], 1):  # the parent could not unshare, and gave up
            os._exit(1)
        parent = os.getppid()
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{parent}/{name}", "w") as f:
                f.write(f"0 0 1\n{STUDENT} {student} 1\n")
        os._exit(0)
    _check(_libc.unshare(flags), UNSHARE)
    os.write(ready[1], b"x")
    os.waitpid(helper, 0)


def _read_paths(read):
    paths = {p for p in SYSTEM if os.path.isdir(p) and not os.path.islink(p)}
    paths |= {os.path.abspath(sys.base_prefix), os.path.abspath(sys.prefix)}
    # Each path is shown where it is named; a symbolic link shows what it points to, at the link's place.
    return paths | {os.path.abspath(p) for p in read if os.path.exists(p)}


def _init(command, cwd, sources, writable, kept, memory_mb, disk_mb, processes):
    """PID 1 of the sandbox: build its root, start the command, reap, and take everything down with it."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    _mount(None, "/", flags=MS_REC | MS_PRIVATE)
    root = "/tmp" if os.path.isdir("/tmp") else "/mnt"
    _mount("sandbox", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=755")
    _devices(root)
    for place, size in (("/tmp", 256), ("/dev/shm", 64)):  # before the binds: some of them may lie in /tmp
        os.makedirs(root + place, exist_ok=True)
        _mount("sandbox", root + place, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=1777")
    for path, fd in sorted(sources.items()):
        if path != cwd:
            _bind(f"/proc/self/fd/{fd}", root + path, readonly=path not in writable)
    for path in writable:  # the student may write there (and read what is already there, a kernel's connection file)
        _give_to_student(root + path)
    for link in SYSTEM:  # merged-/usr systems: /bin -> usr/bin and so on
        if os.path.islink(link):
            os.symlink(os.readlink(link), root + link)
    _working_folder(root, cwd, sources[cwd], disk_mb)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV)
    os.chroot(root)
    os.chdir(cwd)
    _loopback_up()
    child = os.fork()
    if child == 0:
        _become_student(memory_mb, processes, disk_mb)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        env = {k: v for k, v in os.environ.items() if k in kept}
        env.update(HOME="/tmp", TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib")
        if "JPY_PARENT_PID" in env:  # a kernel: its parent's pid outside means nothing here (the sandbox dies with it)
            env["JPY_PARENT_PID"] = "1"
        os.execvpe(command[0], command, env)
    while True:  # orphans of the command end up here: reap them until the command itself ends
        pid, status = os.wait()
        if pid == child:
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _bind(source, target, readonly=True):
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, flags=MS_BIND | MS_REC)
    if readonly:
        # A read-only remount must keep the flags the kernel locked on the original mount.
        st = os.statvfs(target)
        locked = (MS_NOSUID if st.f_flag & os.ST_NOSUID else 0) | (MS_NODEV if st.f_flag & os.ST_NODEV else 0)
        extra = 8 if st.f_flag & os.ST_NOEXEC else 0  # MS_NOEXEC
        _mount(None, target, flags=MS_REMOUNT | MS_BIND | MS_RDONLY | locked | extra)


def _devices(root):
    os.makedirs(root + "/dev", exist_ok=True)
    for name in DEVICES:
        _bind(f"/dev/{name}", f"{root}/dev/{name}", readonly=False)


def _working_folder(root, cwd, fd, disk_mb):
    """The command's own folder: a size-limited tmpfs, filled with a copy of the real one, owned by the student."""
    os.makedirs(root + cwd, exist_ok=True)
    _mount("work", root + cwd, "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk_mb}m,mode=755")
    shutil.copytree(f"/proc/self/fd/{fd}", root + cwd, symlinks=True, dirs_exist_ok=True)
    _give_to_student(root + cwd)


def _give_to_student(top):
    for folder, dirs, files in os.walk(top):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, STUDENT, STUDENT)


def _loopback_up():
    """The network namespace starts with its loopback down; bring it up (nothing else exists in it)."""
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14s", b"lo", 0x1 | 0x40, b"")  # IFF_UP | IFF_RUNNING
        fcntl.ioctl(s, 0x8914, ifreq)  # SIOCSIFFLAGS


def _become_student(memory_mb, processes, disk_mb):
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (disk_mb << 20, disk_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() == 0:  # as the grader's uid, setgroups is denied: its groups stay, mapped to no group inside
        os.setgroups([])
    os.setresgid(STUDENT, STUDENT, STUDENT)
    # RLIMIT_NPROC counts the tasks of uid 1000 in this user namespace, so it binds this sandbox alone.
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    os.setresuid(STUDENT, STUDENT, STUDENT)  # drops every capability


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", action="append", default=[], help="a path to show, read-only, at the same place")
    parser.add_argument("--write", action="append", default=[], help="a real folder the command may change")
    parser.add_argument("--env", action="append", default=[], help="an environment variable it keeps, by its name")
    parser.add_argument("--memory-mb", type=int, default=DEFAULTS["memory_mb"])
    parser.add_argument("--disk-mb", type=int, default=DEFAULTS["disk_mb"])
    parser.add_argument("--processes", type=int, default=DEFAULTS["processes"])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    return run(command, read=args.read, write=args.write, env=args.env, memory_mb=args.memory_mb, disk_mb=args.disk_mb,
               processes=args.processes)


if __name__ == "__main__":
    sys.exit(main())
