"""A request sent on a connection the server drops (an idle pooled connection it was closing that instant)
is sent once more on a new connection, re-signed, with the same Idempotency-Key; a second drop is the
caller's error. A real socket server that resets the connection (RST) after reading the request."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from eth_account import Account

from bridge.sdk.client import BridgeClient, BridgeRequestError


class DroppingServer:
    """Reads each request whole; resets the first ``drops`` connections, answers the rest with a JSON 200."""

    def __init__(self, drops: int, answers: list[tuple[str, bytes]] | None = None) -> None:
        self.drops = drops
        self.answers = answers or [("application/json", b'{"ok": true}')]  # served in turn, the last one again
        self.requests: list[dict[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                head, body = self._read(connection)
                self.requests.append(head)
                if len(self.requests) <= self.drops:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
                    continue
                kind, answer = self.answers[min(len(self.requests) - self.drops, len(self.answers)) - 1]
                connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nConnection: close\r\n".encode()
                                   + b"Content-Length: " + str(len(answer)).encode() + b"\r\n\r\n" + answer)  # fmt: skip

    @staticmethod
    def _read(connection: socket.socket) -> tuple[dict[str, str], bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        raw_head, body = data.split(b"\r\n\r\n", 1)
        lines = raw_head.decode().split("\r\n")
        head = {"request": lines[0], **{k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}}
        while len(body) < int(head.get("content-length", "0")):
            body += connection.recv(65536)
        return head, body

    def close(self) -> None:
        self.listener.close()


@pytest.fixture()
def client() -> Iterator[tuple[BridgeClient, list[DroppingServer]]]:
    servers: list[DroppingServer] = []
    yield BridgeClient("http://127.0.0.1:1", "yangtze", Account.create(), store=False), servers
    for server in servers:
        server.close()


def _pointed_at(client: BridgeClient, server: DroppingServer) -> BridgeClient:
    return BridgeClient(server.url, client.participant, client.account, store=False)


def test_a_dropped_post_is_sent_again_signed_afresh_with_the_same_key(client: tuple[BridgeClient, list[DroppingServer]]) -> None:
    base, servers = client
    servers.append(server := DroppingServer(drops=1))
    assert _pointed_at(base, server).request("POST", "/v1/swaps/batch/accept", {"acceptances": []}) == {"ok": True}
    first, second = server.requests
    assert first["request"] == second["request"] == "POST /v1/swaps/batch/accept HTTP/1.1"
    assert first["idempotency-key"] == second["idempotency-key"]  # the bridge replays its first answer, if it gave one
    signatures = [{k: v for k, v in r.items() if k.startswith("x-corridor") and k != "x-corridor-participant"} for r in (first, second)]
    assert signatures[0] and signatures[0] != signatures[1]  # a signature is accepted once: the retry is signed anew


def test_a_dropped_get_is_sent_again(client: tuple[BridgeClient, list[DroppingServer]]) -> None:
    base, servers = client
    servers.append(server := DroppingServer(drops=1))
    assert _pointed_at(base, server).request("GET", "/v1/swaps") == {"ok": True}
    assert len(server.requests) == 2 and "idempotency-key" not in server.requests[0]


def test_a_second_drop_is_the_callers_error(client: tuple[BridgeClient, list[DroppingServer]]) -> None:
    base, servers = client
    servers.append(server := DroppingServer(drops=2))
    with pytest.raises(BridgeRequestError) as raised:
        _pointed_at(base, server).request("POST", "/v1/swaps/batch/accept", {"acceptances": []})
    assert raised.value.status == 0 and raised.value.error == "unreachable" and raised.value.dropped
    assert len(server.requests) == 2


def test_an_event_stream_dropped_on_connecting_resumes_after_the_last_entry(client: tuple[BridgeClient, list[DroppingServer]]) -> None:
    import json
    import time

    base, servers = client
    entry = {"seq": 7, "swap_id": "0x01", "from": "accepted", "to": "settled"}
    events = f"id: 7\nevent: transition\ndata: {json.dumps(entry)}\n\n".encode()
    servers.append(server := DroppingServer(drops=1, answers=[("text/event-stream", events), ("text/event-stream", b"")]))
    seen = list(_pointed_at(base, server).follow(3, until=time.monotonic() + 0.5))
    assert seen == [entry]
    paths = [r["request"].split()[1] for r in server.requests]
    assert paths[0].startswith("/v1/events?after=3&") and paths[1].startswith("/v1/events?after=3&")  # the dropped one, again
    assert all(path.startswith("/v1/events?after=7&") for path in paths[2:])  # then on from the entry received
