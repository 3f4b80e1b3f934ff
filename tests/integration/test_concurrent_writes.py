"""Writers that race for the same new rows all succeed, as if one after another
(on PostgreSQL two TagUser calls can both see a tag missing and both insert it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.aws import unique
from tests.support.servers import RunningServer


def test_parallel_tagging_of_one_user_loses_nothing(server: RunningServer, iam: Any) -> None:
    name = unique("tagged")
    iam.create_user(UserName=name)
    clients = [server.client("iam") for _ in range(8)]

    def tag(i: int) -> int:
        client = clients[i % len(clients)]
        # The same keys from every thread: each insert races the others.
        client.tag_user(UserName=name, Tags=[{"Key": f"k{j}", "Value": str(i)} for j in range(5)])
        return i

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(tag, range(32))) == list(range(32))
    tags = iam.list_user_tags(UserName=name)["Tags"]
    assert sorted(t["Key"] for t in tags) == [f"k{j}" for j in range(5)]
