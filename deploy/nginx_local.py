"""deploy/nginx.conf run locally as it ships, but for its paths and ports: unprivileged (as
`nobody` when started by root), with its pid, logs, temporary files and cache in a directory of
its own. tests/test_nginx.py runs it in front of gunicorn, and bench/longtail_bench.py measures it.

nginx is Debian's (`apt-get install nginx`); `binary()` finds it, in /usr/sbin too.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CONF = Path(__file__).resolve().with_name("nginx.conf")

# What is changed in the shipped file, each found exactly once.
LISTEN = "listen 80;"
UPSTREAM = "server 127.0.0.1:8000;"
CACHE_DIR = "/var/cache/nginx/social-services-api"

# The main configuration around it: everything that would be the distribution's (Debian's
# /etc/nginx/nginx.conf sends files with sendfile and tcp_nopush). The access log says what
# the cache did with each request ($upstream_cache_status: HIT, MISS, ...; "-" where no cache
# was asked), so that a run can count it.
MAIN = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    sendfile on;
    tcp_nopush on;
    log_format cache_status '$status $upstream_cache_status "$request"';
    access_log {dir}/access.log cache_status;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/social-services-api.conf;
{extra}
}}
"""


def binary() -> str | None:
    """The nginx program, or None when it is not installed."""
    return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Wait until `port` accepts connections; RuntimeError if `process` ends first or 30 s pass."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start (exit {process.poll()})") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def render(directory: Path, port: int, upstream_port: int, extra: str = "") -> None:
    """Write into `directory` the shipped deploy/nginx.conf listening on 127.0.0.1:`port`, in
    front of 127.0.0.1:`upstream_port`, with its cache in `directory`/cache, and the main
    nginx.conf that includes it (with `extra`, more of the `http` block, after it)."""
    conf = CONF.read_text()
    for old, new in (
        (LISTEN, f"listen 127.0.0.1:{port};"),
        (UPSTREAM, f"server 127.0.0.1:{upstream_port};"),
        (CACHE_DIR, str(directory / "cache")),
    ):
        if conf.count(old) != 1:
            raise ValueError(f"deploy/nginx.conf has no single {old!r}")
        conf = conf.replace(old, new)
    for name, text in (("social-services-api.conf", conf),
                       ("nginx.conf", MAIN.format(dir=directory, extra=extra))):  # fmt: skip
        (directory / name).write_text(text)
        (directory / name).chmod(0o644)  # whatever the umask: nginx may run as `nobody`


@dataclass
class Nginx:
    base: str  # http://127.0.0.1:port, the shipped server
    directory: Path  # its configuration, logs (access.log, error.log) and cache
    process: subprocess.Popen[bytes]


@contextmanager
def running(program: str, upstream_port: int, extra: str = "") -> Iterator[Nginx]:
    """nginx (`program`) with deploy/nginx.conf in front of 127.0.0.1:`upstream_port`, in a new
    directory removed afterwards (`extra`: more of the `http` block, with {dir} for that
    directory). RuntimeError with its error log if it does not start."""
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="nginx-"))
    try:
        # nginx runs unprivileged, and must be able to write in its directory.
        user = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chown(directory, user.pw_uid, user.pw_gid)
        render(directory, port, upstream_port, extra.replace("{dir}", str(directory)))
        process = subprocess.Popen(
            [program, "-e", str(directory / "error.log"), "-p", str(directory), "-c",
             "nginx.conf"],
            cwd=directory,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # its errors go to error.log
        )  # fmt: skip
        try:
            try:
                wait_for(port, process, "nginx")
            except RuntimeError:
                log = directory / "error.log"
                raise RuntimeError(log.read_text() if log.exists() else "no error log") from None
            yield Nginx(f"http://127.0.0.1:{port}", directory, process)
        finally:
            stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
