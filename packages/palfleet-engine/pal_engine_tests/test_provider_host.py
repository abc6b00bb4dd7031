"""ProviderHost against the real ``python -m pulumi.dynamic`` server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pal_engine import ProviderError, ProviderHost, ProviderStartError
from pal_engine.provider_host import PROVIDER_KEY
from pulumi.dynamic.dynamic import serialize_provider

from pal_engine_tests.conftest import SAMPLE_PROJECT, read_record

URN = "urn:pulumi:dev::sample::pulumi-python:dynamic:Resource::{}"


@pytest.fixture(scope="module")
def blob() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(SAMPLE_PROJECT))
        from sample_records.provider import RecordProvider

        yield serialize_provider(RecordProvider())


def test_check_create_read_diff_update_delete_round_trip(
    provider_host: ProviderHost, blob: str, records_dir: Path
) -> None:
    urn = URN.format("round-trip")
    news = {PROVIDER_KEY: blob, "kind": "book", "title": "Dune", "count": 3}

    checked = provider_host.check(urn, {}, news)
    created = provider_host.create(urn, checked.inputs)
    read = provider_host.read(created.id, urn, created.outputs, checked.inputs)
    diff_same = provider_host.diff(created.id, urn, created.outputs, checked.inputs)
    diff_title = provider_host.diff(
        created.id, urn, created.outputs, {**checked.inputs, "title": "Emma"}
    )
    diff_kind = provider_host.diff(
        created.id, urn, created.outputs, {**checked.inputs, "kind": "crate"}
    )
    updated = provider_host.update(
        created.id,
        urn,
        created.outputs,
        {**checked.inputs, "title": "Emma"},
        old_inputs=checked.inputs,
    )

    assert checked.failures == [] and checked.inputs["count"] == 3
    assert created.outputs["token"] == f"tok-{created.id[:8]}"
    assert created.outputs[PROVIDER_KEY] == blob
    assert read.id == created.id and read.inputs is not None and read.inputs["title"] == "Dune"
    assert (diff_same.changes, diff_title.changes) == ("none", "some")
    assert diff_kind.replaces == ["kind"] and diff_kind.delete_before_replace is False
    assert updated["title"] == "Emma" and read_record(records_dir, created.id)["title"] == "Emma"

    provider_host.delete(created.id, urn, updated)

    assert provider_host.read(created.id, urn, updated, checked.inputs).id == ""


def test_check_failures_come_back_as_property_and_reason(
    provider_host: ProviderHost, blob: str
) -> None:
    outcome = provider_host.check(URN.format("bad"), {}, {PROVIDER_KEY: blob, "title": ""})

    assert [(f.property, f.reason) for f in outcome.failures] == [
        ("title", "title must not be empty")
    ]


def test_provider_exception_becomes_a_redacted_provider_error(
    provider_host: ProviderHost, blob: str
) -> None:
    other_secret = "s3cret-of-this-call-only"
    props = {PROVIDER_KEY: blob, "title": "x", "password": other_secret, "fail_on": ["create"]}

    with pytest.raises(ProviderError) as caught:
        provider_host.create(URN.format("boom"), props, secret_values=[other_secret])

    error = caught.value
    assert error.method == "Create" and error.code == "UNKNOWN"
    assert "planted create failure" in str(error) and "Traceback" in error.details
    assert other_secret not in str(error) and other_secret not in error.details
    assert "[secret]" in str(error)


def test_four_threads_call_the_server_at_once(
    provider_host: ProviderHost, blob: str, records_dir: Path
) -> None:
    barrier = threading.Barrier(4)
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            urn = URN.format(f"parallel-{index}")
            news = {PROVIDER_KEY: blob, "title": f"t{index}"}
            checked = provider_host.check(urn, {}, news)
            outcome = provider_host.create(urn, checked.inputs)
            with lock:
                ids.append(outcome.id)
        except BaseException as error:  # collected for the assertion below
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=create, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(set(ids)) == 4
    assert sorted(read_record(records_dir, i)["title"] for i in ids) == ["t0", "t1", "t2", "t3"]


def test_close_stops_the_server_and_calls_need_a_started_host(records_dir: Path) -> None:
    host = ProviderHost(SAMPLE_PROJECT, "sample", {"sample:recordsDir": str(records_dir)})
    with pytest.raises(ProviderStartError, match="not started"):
        host.check(URN.format("x"), {}, {})

    with host:
        assert host.running
        pid = host.pid
    assert not host.running and host.pid is None and pid is not None
