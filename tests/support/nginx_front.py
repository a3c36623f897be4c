"""A TLS front for tests: Debian ``nginx`` before a real Prometheus, with certificates from ``openssl``.

It terminates TLS with a server certificate for 127.0.0.1 signed by a test CA, asks for a client
certificate signed by that CA, and passes a request on only when the certificate verified
(else 403) and ``X-Scope-OrgID`` names the tenant (else 401), as a multi-tenant Mimir or Cortex
gateway does. ``/ready`` answers 200 to anyone, for the readiness wait.

Usage::

    pki = Pki.make(tmp_path / "pki")
    with NginxFront.start(tmp_path / "nginx", pki, upstream=prometheus.url) as front:
        env = {"GATE_PROMETHEUS_CA_BUNDLE": str(pki.ca_cert), ...}

Facts that shaped this module (nginx 1.22, OpenSSL 3, Debian):
- ``master_process off`` runs one process as the current user (no switch to ``nobody``, so the
  test's private temp directory stays readable); ``daemon off`` keeps it in the foreground.
- With ``ssl_verify_client optional_no_ca`` nginx finishes the handshake without a certificate
  (or with one from another CA) and
  sets ``$ssl_client_verify`` to ``NONE`` (or ``FAILED:...``), so the refusal is an HTTP status.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.prometheus_server import free_port, stop_process, wait_ready

NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL_BIN = shutil.which("openssl") or "/usr/bin/openssl"
TENANT = "tenant-a"
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def available() -> bool:
    """Whether nginx and openssl are installed (scripts/install.sh installs them)."""
    return Path(NGINX_BIN).is_file() and Path(OPENSSL_BIN).is_file()


def _openssl(*args: str) -> None:
    subprocess.run([OPENSSL_BIN, *args], check=True, capture_output=True)


def _signed(directory: Path, name: str, ca: tuple[Path, Path], ext: str) -> tuple[Path, Path]:
    """A key and a certificate for ``name`` signed by ``ca`` (cert, key), with extension ``ext``."""
    key, csr, cert = (directory / f"{name}.{s}" for s in ("key", "csr", "crt"))
    _openssl("req", "-new", *_EC, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")
    extfile = directory / f"{name}.ext"
    extfile.write_text(ext + "\n")
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
        "-CAcreateserial", "-days", "2", "-out", str(cert), "-extfile", str(extfile),
    )  # fmt: skip
    return cert, key


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-x509", *_EC, "-keyout", str(key), "-out", str(cert), "-days", "2",
        "-subj", f"/CN={name}",
    )  # fmt: skip
    return cert, key


@dataclass(frozen=True)
class Pki:
    """A test CA, a server certificate for 127.0.0.1, a client certificate, and a stranger's."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    """A client certificate from another CA: the front must refuse it."""
    stranger_key: Path

    @classmethod
    def make(cls, directory: Path) -> Pki:
        """Make every key and certificate with ``openssl`` in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        ca = _ca(directory, "test-ca")
        other = _ca(directory, "other-ca")
        server = _signed(directory, "server", ca, "subjectAltName=IP:127.0.0.1,DNS:localhost")
        client = _signed(directory, "client", ca, "extendedKeyUsage=clientAuth")
        stranger = _signed(directory, "stranger", other, "extendedKeyUsage=clientAuth")
        return cls(ca[0], *server, *client, *stranger)


CONFIG = """\
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {server_cert};
        ssl_certificate_key {server_key};
        ssl_client_certificate {ca_cert};
        ssl_verify_client optional_no_ca;
        location = /ready {{ return 200 "ready"; }}
        location / {{
            if ($ssl_client_verify != SUCCESS) {{ return 403; }}
            if ($http_x_scope_orgid != "{tenant}") {{ return 401; }}
            proxy_pass {upstream};
        }}
    }}
}}
"""


@dataclass
class NginxFront:
    """A running nginx TLS front; use :meth:`start` as a context manager."""

    url: str
    access_log: Path
    proc: subprocess.Popen[bytes]

    @classmethod
    @contextmanager
    def start(cls, workdir: Path, pki: Pki, upstream: str) -> Iterator[NginxFront]:
        """Start nginx on a free loopback port in front of ``upstream`` (``http://host:port``)."""
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        config = workdir / "nginx.conf"
        config.write_text(
            CONFIG.format(
                dir=workdir,
                port=port,
                server_cert=pki.server_cert,
                server_key=pki.server_key,
                ca_cert=pki.ca_cert,
                tenant=TENANT,
                upstream=upstream,
            )
        )
        log = workdir / "nginx.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    NGINX_BIN,
                    "-p",
                    str(workdir),
                    "-c",
                    str(config),
                    "-e",
                    str(workdir / "error.log"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        front = cls(f"https://127.0.0.1:{port}", workdir / "access.log", proc)
        try:
            with requests.Session() as session:
                session.verify = str(pki.ca_cert)
                session.trust_env = False  # a proxy in the test's environment must not catch it
                wait_ready(front.url + "/ready", proc, log, session=session)
            yield front
        finally:
            stop_process(proc)
