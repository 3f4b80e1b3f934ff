"""A policy change is enforced on the very next request by every worker and every instance.

Each worker process caches compiled policies per principal, tagged with the
account's authorization generation; a change raises the generation in the same
transaction. Here one `gatehold serve --workers 2` and a second, separate
`gatehold serve` share one store (PostgreSQL under GATEHOLD_TEST_STORE=postgres,
else one SQLite data dir). Keep-alive connections pinned to known processes (the
process holding each accepted socket is read from /proc) warm every cache with a
denial; after a direct store write, the next request on each is allowed, and
after the next write denied again.
"""

from __future__ import annotations

import http.client
import os
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.policy_seed import deny, seeding
from tests.support.servers import RunningServer, run_init, serve

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass
class Fleet:
    store: RunningServer  # for seeding: data dir, database URL, account
    two_workers: str  # endpoint of `serve --workers 2`
    other_instance: str  # endpoint of a second `serve` on the same store


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[Fleet]:
    data_dir = tmp_path_factory.mktemp("gatehold-fleet")
    init = run_init(data_dir, module_database_url)
    with ExitStack() as stack:
        a, port_a, log_a = stack.enter_context(serve(data_dir, module_database_url, workers=2))
        b, _, _ = stack.enter_context(serve(data_dir, module_database_url))
        yield Fleet(RunningServer(a, port_a, data_dir, module_database_url, init, log_a), a, b)


class Pinned:
    """One keep-alive connection, so every request on it reaches the same process."""

    def __init__(self, endpoint: str, keys: tuple[str, str]) -> None:
        u = urlparse(endpoint)
        self.endpoint, self.keys, self.port = endpoint, keys, u.port or 80
        self.conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=30)

    def get_user(self, name: str) -> tuple[int, str]:
        """(HTTP status, error code or "") of a SigV4-signed iam:GetUser."""
        req = AWSRequest(
            method="POST",
            url=self.endpoint + "/",
            data=f"Action=GetUser&UserName={name}&Version=2010-05-08".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        SigV4Auth(Credentials(*self.keys), "iam", "us-east-1").add_auth(req)
        self.conn.request("POST", "/", body=req.body, headers=dict(req.headers.items()))
        resp = self.conn.getresponse()
        body = resp.read().decode()
        code = re.search(r"<Code>([^<]+)</Code>", body)
        return resp.status, code.group(1) if code else ""

    def server_pid(self) -> int:
        """The process holding the server side of this connection (from /proc)."""
        assert self.conn.sock is not None
        client_port = self.conn.sock.getsockname()[1]
        inode = _socket_inode(local_port=self.port, remote_port=client_port)
        return _owner_of(inode)

    def close(self) -> None:
        self.conn.close()


def _socket_inode(local_port: int, remote_port: int) -> str:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == local_port
                and int(remote.rsplit(":", 1)[1], 16) == remote_port
            ):
                return inode
    raise AssertionError(f"no server socket for client port {remote_port}")


def _owner_of(inode: str) -> int:
    target = f"socket:[{inode}]"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                return int(pid)
        except OSError:  # the process ended, or is not ours
            continue
    raise AssertionError(f"no process holds {target}")


def one_per_process(
    endpoints: list[str], keys: tuple[str, str], wanted: int, tries: int = 60
) -> list[Pinned]:
    """Keep-alive connections to `wanted` distinct server processes."""
    by_pid: dict[int, Pinned] = {}
    spare: list[Pinned] = []
    for i in range(tries):
        pinned = Pinned(endpoints[i % len(endpoints)], keys)
        pinned.get_user("admin")  # the worker accepts the connection on its first request
        pid = pinned.server_pid()
        if pid in by_pid:
            spare.append(pinned)
        else:
            by_pid[pid] = pinned
        if len(by_pid) == wanted:
            break
    for pinned in spare:
        pinned.close()
    assert len(by_pid) == wanted, (
        f"reached only {len(by_pid)} server processes in {tries} connections"
    )
    return list(by_pid.values())


def statuses(conns: list[Pinned], rounds: int = 3) -> set[tuple[int, str]]:
    return {c.get_user("admin") for _ in range(rounds) for c in conns}


def new_user(fleet: Fleet, name: str) -> tuple[str, tuple[str, str]]:
    with seeding(fleet.store) as s:
        user_id, _ = s.user(name)
        keys = s.key(user_id)
    return user_id, keys


def run_scenario(fleet: Fleet, name: str, endpoints: list[str], processes: int) -> None:
    user_id, keys = new_user(fleet, name)
    conns = one_per_process(endpoints, keys, processes)
    try:
        assert statuses(conns) == {(403, "AccessDenied")}  # every process has cached the denial
        with seeding(fleet.store) as s:
            s.attach("user", user_id, ADMIN_ACCESS)
        assert statuses(conns) == {(200, "")}  # the very next request, on every process
        with seeding(fleet.store) as s:
            s.inline("user", user_id, "DenyAll", deny("*"))
        assert statuses(conns) == {(403, "AccessDenied")}
        with seeding(fleet.store) as s:
            s.remove_inline("user", user_id, "DenyAll")
            s.detach("user", user_id, ADMIN_ACCESS)
        assert statuses(conns) == {(403, "AccessDenied")}
    finally:
        for c in conns:
            c.close()


def test_both_workers_of_one_instance_enforce_the_change_at_once(fleet: Fleet) -> None:
    run_scenario(fleet, "xp-workers", [fleet.two_workers], processes=2)


def test_two_instances_on_one_store_enforce_the_change_at_once(fleet: Fleet) -> None:
    # Three processes in all: both workers of the first instance and the second instance.
    run_scenario(fleet, "xp-instances", [fleet.two_workers, fleet.other_instance], processes=3)
