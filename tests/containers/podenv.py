"""Rootful podman kept entirely under one temporary root: its own
containers.conf, storage.conf and registries.conf (pointed to by
CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF), image
storage, run state, volumes, networks and event log. No configuration in
/etc is read or written. (podman 4.3 still keeps two things at fixed paths:
its blob-info cache in /var/lib/containers/cache and netavark's run state in
/run/containers/networks.)

    pod = Podman(tempdir)
    pod.calibrate_ulimits(image)            # once an image with sh is there
    pod.run("images")                       # CompletedProcess, raises on failure
    pod.run("run", ..., check=False)
    pod.close()                             # removes everything it made

The settings are the ones this kind of machine needs (runc and cgroupfs:
crun fails on hybrid cgroups; default ulimits at the host's hard limits, then
at podman's own: podman's defaults, and an nproc above podman's own limit,
fail with EPERM; events to a file: no journald; netavark for networks with
name resolution; overlay storage: ~10x faster than vfs)."""
import os
import resource
import shutil
import subprocess

PODMAN = shutil.which("podman") or "podman"


def _toml_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def _limit(kind):
    soft, hard = resource.getrlimit(kind)
    return hard if hard != resource.RLIM_INFINITY else 1048576


class Podman:
    def __init__(self, root, driver=None):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        p = lambda *a: os.path.join(self.root, *a)  # noqa: E731
        for d in ("etc", "tmp", "networks"):
            os.makedirs(p(d), exist_ok=True)
        nofile = _limit(resource.RLIMIT_NOFILE)
        nproc = _limit(resource.RLIMIT_NPROC)
        with open(p("etc", "containers.conf"), "w") as f:
            f.write("\n".join([
                "[containers]",
                "default_ulimits = [%s, %s]" % (_toml_str("nofile=%d:%d" % (nofile, nofile)),
                                                _toml_str("nproc=%d:%d" % (nproc, nproc))),
                "[engine]",
                'runtime = "runc"',
                'cgroup_manager = "cgroupfs"',
                'events_logger = "file"',
                "events_logfile_path = %s" % _toml_str(p("events.log")),
                "tmp_dir = %s" % _toml_str(p("tmp")),
                "volume_path = %s" % _toml_str(p("volumes")),
                "[network]",
                'network_backend = "netavark"',
                "network_config_dir = %s" % _toml_str(p("networks")),
                ""]))
        with open(p("etc", "storage.conf"), "w") as f:
            f.write("\n".join([
                "[storage]",
                "driver = %s" % _toml_str(driver or os.environ.get("PREDEPLOY_PODMAN_DRIVER", "overlay")),
                "graphroot = %s" % _toml_str(p("storage")),
                "runroot = %s" % _toml_str(p("run")),
                ""]))
        # no registry: short names resolve to local images only
        with open(p("etc", "registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\nshort-name-mode = \"permissive\"\n")
        self.env = dict(os.environ,
                        CONTAINERS_CONF=p("etc", "containers.conf"),
                        CONTAINERS_STORAGE_CONF=p("etc", "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=p("etc", "registries.conf"),
                        TMPDIR=p("tmp"))
        self.env.pop("XDG_RUNTIME_DIR", None)

    def calibrate_ulimits(self, image):
        """Set default_ulimits to the limits podman itself runs with (its
        conmon's), which may be lower than the shell's: runc cannot raise a
        limit above them (EPERM). Needs an image with sh and grep."""
        r = self.run("run", "--rm", "--pid", "host", "--network", "host",
                     "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", image,
                     "sh", "-c", 'grep -E "^Max (processes|open files) " /proc/$PPID/limits')
        hard = {}
        for line in r.stdout.splitlines():
            f = line.split()
            hard["nproc" if f[1] == "processes" else "nofile"] = f[4] if f[1] == "open" else f[3]
        lim = {k: v for k, v in hard.items() if v.isdigit()}
        conf = os.path.join(self.root, "etc", "containers.conf")
        with open(conf) as f:
            text = f.read()
        line = "default_ulimits = [%s]" % ", ".join(
            _toml_str("%s=%s:%s" % (k, v, v)) for k, v in sorted(lim.items()))
        with open(conf, "w") as f:
            f.write("\n".join(line if l.startswith("default_ulimits") else l
                              for l in text.split("\n")))
        return lim

    def run(self, *args, check=True, timeout=600, input=None, capture=True):
        r = subprocess.run([PODMAN] + list(args), env=self.env, text=True, input=input,
                           capture_output=capture, timeout=timeout, errors="replace")
        if check and r.returncode != 0:
            raise RuntimeError("podman %s failed (exit %d)\n%s%s" % (
                " ".join(args), r.returncode, r.stdout or "", r.stderr or ""))
        return r

    def close(self):
        """Remove every container, pod, volume, network and image, unmount
        the storage and delete the root."""
        for args in (("pod", "rm", "-af", "-t", "0"), ("rm", "-af", "-t", "0"),
                     ("volume", "rm", "-af"), ("network", "prune", "-f"),
                     ("system", "reset", "-f")):
            self.run(*args, check=False, timeout=120)
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        for m in sorted((m for m in mounts if m == self.root or m.startswith(self.root + "/")),
                        key=len, reverse=True):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)
