"""The benchmarks still run: each at a tiny size, checking what they count, never a timing."""

from __future__ import annotations

import importlib

import pytest

from bench.__main__ import BENCHMARKS


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_has_a_run_function(name: str) -> None:
    module = importlib.import_module(f"bench.bench_{name}")
    assert callable(module.run)


@pytest.mark.django_db
def test_middleware_benchmark_counts_no_query_for_an_untouched_session() -> None:
    from bench import bench_middleware

    result = bench_middleware.run(quick=True)
    assert result.checks["queries_with"] == 0
    assert result.checks["extra_queries"] == 0
    assert "| with |" in result.markdown()


@pytest.mark.django_db(transaction=True)
def test_api_call_benchmark_gets_the_same_balance_from_every_client() -> None:
    from bench import bench_api_call

    result = bench_api_call.run(quick=True)
    assert result.checks["answers_agree"]
    assert set(result.checks["ratios"]) == set(result.checks["queries"])


@pytest.mark.django_db(transaction=True)
def test_connect_flow_benchmark_stores_every_flow() -> None:
    from bench import bench_connect_flow

    result = bench_connect_flow.run(quick=True)
    assert result.checks["errors"] == []
    assert all(flows > 0 for flows in result.checks["completed"].values())
    assert result.checks["stored"] == 1
    # The session-writing baseline ran, and a flow (two site requests and more) costs more.
    assert 0 < result.checks["per_session_write"] < 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stampede_benchmark_makes_one_refresh_per_round() -> None:
    from bench import bench_stampede

    result = bench_stampede.run(quick=True)
    assert result.checks["exactly_one"]
    assert result.checks["no_failures"]
    assert result.checks["same_token"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotate_keys_benchmark_reencrypts_every_row() -> None:
    from bench import bench_rotate_keys

    result = bench_rotate_keys.run(quick=True)
    assert result.checks["rotated_all"]
    assert result.checks["outputs"][-1] == "Re-encrypted 1000 account(s); 0 unreadable."


@pytest.mark.django_db(transaction=True)
def test_send_many_benchmark_registers_every_message_from_both_clients() -> None:
    from bench import bench_send_many

    result = bench_send_many.run(quick=True)
    size = result.checks["size"]
    assert result.checks["registered"] == {
        "bare requests.Session": size,
        "session.send_many": size,
    }


@pytest.mark.django_db
def test_admin_benchmark_disconnects_every_row_in_the_same_queries() -> None:
    from bench import bench_admin

    result = bench_admin.run(quick=True)
    assert result.checks["signalled_all"] and result.checks["deleted_all"]
    # Django logs one deletion with its own query, several with one bulk insert.
    assert len(set(result.checks["disconnect_queries"][1:])) == 1
    assert len(set(result.checks["disconnect_all_queries"])) == 1


@pytest.mark.django_db
def test_reports_benchmark_passes_each_event_on_once() -> None:
    from bench import bench_reports

    result = bench_reports.run(quick=True)
    size = result.checks["size"]
    assert result.checks["received"] == result.checks["passed_on"] == size
    assert result.checks["retried_passed_on"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refresh_benchmark_refreshes_every_due_account() -> None:
    from bench import bench_refresh

    result = bench_refresh.run(quick=True)
    sizes = result.checks["sizes"]
    assert result.checks["command_summary"].startswith(f"Refreshed {sizes['command']}, ")
    assert result.checks["cpu_summary"].startswith(f"Refreshed {sizes['cpu']}, ")
    assert result.checks["celery_done"] == sizes["celery"]
