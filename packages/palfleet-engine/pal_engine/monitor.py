"""The resource monitor the program talks to: the SDK's ``MockMonitor`` with registrations
forwarded to a :class:`~pal_engine.deployment.Deployment`.

Subclassing ``pulumi.runtime.mocks.MockMonitor`` (rather than implementing ``Mocks.new_resource``)
gives us the raw ``RegisterResourceRequest``: its ``object`` Struct still carries the exact
secret paths (``MockMonitor.RegisterResource`` deserializes them away), plus
``additionalSecretOutputs``, ``dependencies``, ``propertyDependencies``, ``parent``, ``protect``,
``retainOnDelete`` and ``deleteBeforeReplace``. The response is what the program sees: the real
ID and outputs (secret outputs wrapped as secrets), or ``Result.FAIL`` so the SDK resolves the
resource's outputs as absent and the program continues
(``pulumi/runtime/resource.py``: ``result_failed = resp.result != Result.SUCCESS``).

Resource references are switched off in the advertised features, so the SDK sends a resource
passed as an input as its ID (custom) or URN (component), which is what the engine hands a
provider that does not accept resources.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from pal_engine.deployment import STACK_TYPE, Deployment


class UnsupportedByStandIn(RuntimeError):
    """A Pulumi feature the engine stand-in does not implement."""


class _NoInvokes(Mocks):
    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise UnsupportedByStandIn(
            f"invoke {args.token} is not supported by the palfleet engine stand-in"
        )

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        raise UnsupportedByStandIn(
            f"reading existing resource {args.name} ({args.typ}) is not supported by the "
            "palfleet engine stand-in"
        )


class EngineMonitor(MockMonitor):  # type: ignore[misc]
    def __init__(self, deployment: Deployment) -> None:
        super().__init__(_NoInvokes())
        self.deployment = deployment

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine builds them: children of the root stack are not qualified
        with the stack's type (the SDK's ``MockMonitor.make_urn`` qualifies them)."""
        if parent and parent.split("::")[2].split("$")[-1] == STACK_TYPE:
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        return self.deployment.register(request, urn)

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest
    ) -> empty_pb2.Empty:
        self.deployment.register_outputs(request)
        return empty_pb2.Empty()

    def GetDeploymentInfo(self, request: Any) -> resource_pb2.DeploymentInfo:
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        features = [
            feature
            for feature in info.supportedFeatures
            if feature != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def SupportsFeature(self, request: Any) -> Any:
        has_support = request.id not in ("outputValues", "resourceReferences")
        return type("SupportsFeatureResponse", (object,), {"hasSupport": has_support})
