"""The bridge on a real PostgreSQL server (PostgreSQL 16 from the ``pgserver`` wheel, no system
install): Alembic migrates it, and the API's own flows run unchanged against it — same-ledger and
cross-ledger swaps through the SDK, instruction files, idempotent retries, replay refusal,
visibility and the event stream. A fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bridge.sdk.client import BridgeClient
from bridge.server import ServerThread
from corridor.network import Network
from tests.integration.bridge import test_api as api_flows
from tests.integration.bridge import test_instruction_files as file_flows
from tests.integration.bridge.conftest import open_clients

pytestmark = pytest.mark.integration
pgserver = pytest.importorskip("pgserver")


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        server.cleanup()


@pytest.fixture()
def postgres_url(postgres: str) -> str:
    """A fresh, empty database on the server for one test."""
    name = f"bridge_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(postgres).set(database=name).render_as_string(hide_password=False)


@pytest.fixture()
def pg_bridge_url(bridge_network: Network, postgres_url: str) -> Iterator[str]:
    from bridge.api.app import create_app

    with ServerThread(create_app(bridge_network, postgres_url, worker_interval=0.05)) as server:
        yield server.url


@pytest.fixture()
def pg_clients(pg_bridge_url: str, bridge_network: Network) -> Iterator[dict[str, BridgeClient]]:
    with open_clients(pg_bridge_url, bridge_network) as made:
        yield made


def _journal_rows(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version()")).scalar().startswith("PostgreSQL")
            return int(connection.execute(sa.text("SELECT count(*) FROM transitions")).scalar())
    finally:
        engine.dispose()


def test_swaps_settle_with_the_journal_in_postgres(pg_clients: dict[str, BridgeClient], bridge_network: Network,
                                                   postgres_url: str) -> None:  # fmt: skip
    api_flows.test_same_ledger_swap_through_the_sdk(pg_clients, bridge_network)
    api_flows.test_cross_ledger_swap_through_the_sdk(pg_clients, bridge_network)
    assert _journal_rows(postgres_url) >= 4 + 10  # every transition of both swaps is in PostgreSQL


def test_idempotent_retries_on_postgres(pg_clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    api_flows.test_idempotency_key_returns_the_original_swap(pg_clients, bridge_network)


def test_visibility_on_postgres(pg_clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    api_flows.test_a_bank_sees_only_its_own_swaps_and_the_regulator_sees_all(pg_clients, bridge_network)


def test_event_stream_on_postgres(pg_clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    api_flows.test_event_stream_follows_a_swap_to_its_end(pg_clients, bridge_network)


def test_replayed_requests_are_refused_on_postgres(pg_bridge_url: str, bridge_network: Network) -> None:
    api_flows.test_requests_must_be_signed_fresh_and_unique(pg_bridge_url, bridge_network)


def test_migrations_run_twice_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    from bridge.store.db import migrate

    migrate(postgres_url)
    migrate(postgres_url)  # idempotent: a restarted bridge finds its schema current
    assert _journal_rows(postgres_url) == 0


def test_instruction_files_on_postgres(pg_clients: dict[str, BridgeClient], bridge_network: Network) -> None:
    """Files are recorded all or none and their swaps locked and journalled in batches: the same
    flows on PostgreSQL's row locks and sequences."""
    file_flows.test_a_file_of_same_ledger_swaps_settles_every_swap(pg_clients, bridge_network)
    file_flows.test_a_file_of_cross_ledger_swaps_settles_every_swap(pg_clients, bridge_network)
    file_flows.test_acceptances_are_all_or_none(pg_clients, bridge_network)


def test_a_journal_follower_misses_no_entry_when_writers_commit_out_of_order(postgres_url: str) -> None:
    """PostgreSQL numbers journal rows when they are inserted, not when they commit. A writer that has
    inserted entry n and not yet committed must not let entry n+1 become visible first: a follower that
    read n+1 would move past n for good (the event streams and the console's feed follow by position)."""
    import threading

    from bridge.domain.swap import SwapState
    from bridge.store.db import make_engine, migrate, session_factory
    from bridge.store.swaps import SwapRepository
    from tests.unit.test_repository_together import _swap

    migrate(postgres_url)
    engine = make_engine(postgres_url)
    repo = SwapRepository(session_factory(engine))
    first, second = repo.create(_swap(1)), repo.create(_swap(2))
    start = repo.last_seq()
    inserted, second_done, follower_read = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:  # journals its entry, then takes a while to commit (a batch step still writing)
        with repo.together():
            repo.transition(first, SwapState.ACCEPTED)
            assert repo.journal(first.id)[-1]["to"] == "accepted"  # a query inside: flushed, its journal position is taken
            inserted.set()
            second_done.wait(timeout=1.0)  # the other writer commits meanwhile, unless it must wait for this one
            follower_read.wait(timeout=1.0)

    def quick_writer() -> None:
        repo.transition(second, SwapState.ACCEPTED)
        second_done.set()

    writers = [threading.Thread(target=slow_writer)]
    writers[0].start()
    assert inserted.wait(timeout=10)
    writers.append(threading.Thread(target=quick_writer))
    writers[1].start()
    second_done.wait(timeout=1.5)
    page = repo.transitions_since(start)  # a follower reading by position while the first writer has not committed
    follower_read.set()
    for writer in writers:
        writer.join(timeout=10)
    seen = [entry["seq"] for entry in page.entries]
    seen += [entry["seq"] for entry in repo.transitions_since(page.read_to).entries]
    engine.dispose()
    assert sorted(seen) == list(range(start + 1, start + 3)), f"the follower saw {seen} of {start + 1}..{start + 2}"


def test_writers_queued_for_the_journal_hold_no_pooled_connection(postgres_url: str) -> None:
    """Journal writers queue for their turn before they take a connection from the pool: the writer whose
    turn it is can still get a second one (an alert raised from inside a batch step opens its own session)."""
    import threading

    from bridge.domain.swap import SwapState
    from bridge.store.db import migrate, session_factory
    from bridge.store.swaps import SwapRepository
    from tests.unit.test_repository_together import _swap

    migrate(postgres_url)
    engine = sa.create_engine(postgres_url, pool_size=2, max_overflow=0, pool_timeout=5)
    repo = SwapRepository(session_factory(engine))
    swaps = [repo.create(_swap(n)) for n in range(10, 16)]
    holding, errors = threading.Event(), []

    def holder() -> None:
        try:
            with repo.together():
                repo.transition(swaps[0], SwapState.ACCEPTED)
                holding.set()
                threading.Event().wait(1.0)  # the other writers queue meanwhile
                with engine.connect() as other:  # a second connection, from inside the turn
                    other.execute(sa.text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def writer(swap: object) -> None:
        try:
            repo.transition(swap, SwapState.ACCEPTED)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert holding.wait(timeout=10)
    threads += [threading.Thread(target=writer, args=(swap,)) for swap in swaps[1:]]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    states = [repo.get(swap.id).state for swap in swaps]
    engine.dispose()
    assert errors == [], errors
    assert states == [SwapState.ACCEPTED] * len(swaps)


def test_live_counts_equal_a_full_count_and_read_one_snapshot_on_postgres(postgres_url: str) -> None:
    """The console's live counts on PostgreSQL: a full count reads one snapshot (REPEATABLE READ), and the
    entries applied since give what a full count gives, at every step of the same random walk."""
    from bridge.store.db import make_engine, migrate, session_factory
    from bridge.store.swaps import SwapRepository
    from tests.unit import test_live_counts as live

    migrate(postgres_url)
    engine = make_engine(postgres_url)
    try:
        live.test_a_full_count_reads_one_snapshot_with_the_journal_position_it_covers(SwapRepository(session_factory(engine)))
        with engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE transitions, swaps CASCADE"))
        live.test_live_counts_equal_a_full_count_at_every_step_of_a_random_walk(SwapRepository(session_factory(engine)))
    finally:
        engine.dispose()
