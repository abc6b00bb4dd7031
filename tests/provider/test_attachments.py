"""Attachments of registry tools to PALs: drift reported by refresh and repaired by up."""

from __future__ import annotations

from typing import Any

from tests.provider.tool_harness import Project, fleet, ops, pal, project, provider_host, writes

__all__ = ["project", "provider_host"]


def tool(description: str) -> dict[str, Any]:
    return {"description": description, "delivery": {"app_message": True}}


TOOLS = {"alpha": tool("Alpha tool."), "beta": tool("Beta tool."), "gamma": tool("Gamma tool.")}


def two_pals(coach_tools: list[str]) -> dict[str, Any]:
    return fleet(
        {
            "coach": pal("You are a coach.", palfleet={"tools": coach_tools}),
            "plain": pal("You are plain."),
        },
        TOOLS,
    )


def test_detached_and_extra_tools_are_reported_by_refresh_and_repaired_by_up(
    project: Project,
) -> None:
    project.write(two_pals(["alpha", "beta"]))
    first = project.up()
    assert first.ok, first.render()
    coach, plain = first.outputs["pal_ids"]["coach"], first.outputs["pal_ids"]["plain"]
    ids = first.outputs["tool_ids"]
    project.api("DELETE", f"/pals/{coach}/tools/{ids['alpha']}")
    project.api("POST", f"/pals/{coach}/tools", json={"tool_ids": [ids["gamma"]]})
    project.api("POST", f"/pals/{plain}/tools", json={"tool_ids": [ids["beta"]]})

    refreshed = project.refresh()

    assert ops(refreshed)["Pal/coach"] == "refresh-changed"
    assert ops(refreshed)["Pal/plain"] == "refresh-changed"
    assert ops(refreshed)["Tool/alpha"] == "read-same"
    project.control.clear_requests()
    repaired = project.up()
    assert repaired.ok, repaired.render()
    assert ops(repaired)["Pal/coach"] == "update"
    assert sorted(writes(project)) == [
        "DELETE /v2/pals/{id}/tools/{tool_id}",
        "DELETE /v2/pals/{id}/tools/{tool_id}",
        "POST /v2/pals/{id}/tools",
    ]
    assert project.attached_names(coach) == ["alpha", "beta"]
    assert project.attached_names(plain) == []
    project.control.clear_requests()
    assert project.refresh().changed is False
    assert set(ops(project.up()).values()) == {"same"}
    assert writes(project) == []


def test_changing_the_declared_list_attaches_and_detaches(project: Project) -> None:
    project.write(two_pals(["alpha", "beta"]))
    coach = project.up().outputs["pal_ids"]["coach"]
    project.write(two_pals(["beta", "gamma"]))
    project.control.clear_requests()

    result = project.up()

    assert result.ok, result.render()
    assert ops(result)["Pal/coach"] == "update"
    assert project.attached_names(coach) == ["beta", "gamma"]
    assert project.control.requests().count("POST", "/v2/pals/{id}/tools") == 1
    assert project.control.requests().count("PATCH", "/v2/pals/{id}") == 0


def test_more_than_fifty_tools_on_a_pal_stops_before_any_write(project: Project) -> None:
    tools = {f"tool_{i:02d}": tool(f"Tool number {i}.") for i in range(51)}
    project.write(
        fleet({"coach": pal("You are a coach.", palfleet={"tools": sorted(tools)})}, tools)
    )

    result = project.up()

    assert not result.ok
    assert "51 tools on one PAL" in "\n".join(result.errors)
    assert writes(project) == []


def test_a_create_with_tools_needs_no_read_of_its_attachments(project: Project) -> None:
    """The POST answer carries tool_ids: the create is one POST, with no read of the tools
    sub-resource (a fault there would fail the run if it were read)."""
    project.write(two_pals(["alpha"]))
    project.control.add_fault(method="GET", path="/v2/pals/*/tools", status=500)

    first = project.up()

    assert first.ok, first.render()
    project.control.clear_faults()
    coach = first.outputs["pal_ids"]["coach"]
    assert first.resource("coach").outputs["attached_tool_ids"] == [
        first.outputs["tool_ids"]["alpha"]
    ]
    assert project.control.requests().count("GET", "/v2/pals/{id}/tools") == 0
    assert project.attached_names(coach) == ["alpha"]
    assert set(ops(project.preview()).values()) == {"same"}


def test_a_short_create_answer_falls_back_to_one_read_of_the_attachments() -> None:

    from pal_provider.provider.attachments import AttachmentReconciler

    class Client:
        reads = 0

        def list_attached_tools(self, pal_id: str) -> list[dict[str, Any]]:
            Client.reads += 1
            return [{"tool_id": "t1"}]

    attachments = AttachmentReconciler(Client())  # type: ignore[arg-type]
    assert attachments.attached_ids("p1", {"pal_id": "p1", "tool_ids": ["t1"]}) == ["t1"]
    assert Client.reads == 0
    assert attachments.attached_ids("p1", {"pal_id": "p1", "pal_name": "short"}) == ["t1"]
    assert Client.reads == 1
