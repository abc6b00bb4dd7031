"""What every palfleet dynamic provider shares: configuration, Check, the Diff skeleton.

Nothing but class-level constants lives on an instance until ``configure()`` runs in the
provider server, so the pickled ``__provider`` blob carries no client, lock or secret; one
instance may serve the server's four concurrent calls.

* ``check`` validates what is known; values the engine does not know yet (a preview) pass, and
  the inputs go back untouched, unknowns included, so the following Diff sees them;
* ``diff`` never raises: an input that is not known yet, or a stored state this version cannot
  read, counts as a change (the update that follows works from the live object);
* every operation runs under :func:`~pal_provider.provider.failures.reported_as`, so a failure
  reaches the user as one line naming the object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, ResourceProvider
from pydantic import BaseModel, ValidationError

from pal_provider.api import insecure_transport
from pal_provider.declaration.findings import Report
from pal_provider.provider.connection import MissingCredentials, client_for
from pal_provider.provider.failures import ReconcileError, quiet_tracebacks, reported_as
from pal_provider.provider.settings import ProviderSettings
from pal_provider.provider.state import PROVIDER_KEY, DeclaredInputs
from pal_provider.provider.unknowns import Path as UnknownPath
from pal_provider.provider.unknowns import contains_unknown, path_of, touches

if TYPE_CHECKING:
    from pal_provider.api import PalClient

I = TypeVar("I", bound=DeclaredInputs)  # noqa: E741
O = TypeVar("O", bound=DeclaredInputs)  # noqa: E741
M = TypeVar("M", bound=BaseModel)


def without_provider(props: dict[str, Any]) -> dict[str, Any]:
    """The resource's own properties, without the pickled provider."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


class FleetProvider(ResourceProvider, ABC, Generic[I, O]):  # type: ignore[misc]
    kind: ClassVar[str]
    """How failures name the object: ``PAL``, ``tool``."""
    inputs_type: ClassVar[type[DeclaredInputs]]
    outputs_type: ClassVar[type[DeclaredInputs]]

    # We prove the blob holds no secret; let Pulumi keep it readable unless it captured one.
    serialize_as_secret_always = False

    _settings: ProviderSettings | None

    def configure(self, req: ConfigureRequest) -> None:
        quiet_tracebacks()
        self._settings = ProviderSettings.from_configure(req.config)

    def settings(self) -> ProviderSettings:
        return getattr(self, "_settings", None) or ProviderSettings.from_configure(None)

    @contextmanager
    def operating_on(self, inputs: DeclaredInputs) -> Iterator[None]:
        with reported_as(f"{self.kind} {inputs.logical_name!r}"):
            yield

    def connected(self, inputs: DeclaredInputs) -> PalClient:
        """The pooled client of the object's account; missing credentials are a failure that
        says which config key to set."""
        try:
            return client_for(inputs.settings, self.settings())
        except MissingCredentials as exc:
            raise ReconcileError(str(exc)) from None

    def inputs(self, props: dict[str, Any]) -> I:
        return self.inputs_type.from_props(without_provider(props))  # type: ignore[return-value]

    def outputs(self, props: dict[str, Any]) -> O:
        return self.outputs_type.from_props(without_provider(props))  # type: ignore[return-value]

    # -- check -----------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self.inputs_type.checked(news)
        failures = [CheckFailure(path, reason) for path, reason in checked.problems]
        url = checked.inputs.settings.api_base_url if checked.inputs is not None else None
        refusal = insecure_transport(url) if url else None
        if refusal is not None:
            failures.append(CheckFailure("settings.api_base_url", refusal))
        if checked.inputs is not None:
            failures += [
                CheckFailure(f"spec.{path}" if path else "spec", reason)
                for path, reason in self.spec_problems(checked.inputs, checked.unknown)  # type: ignore[arg-type]
            ]
        return CheckResult(news, failures)

    @abstractmethod
    def spec_problems(self, inputs: I, unknown: Sequence[UnknownPath]) -> list[tuple[str, str]]:
        """(path in the spec, reason) for every error in the known part of the spec."""

    # -- diff ------------------------------------------------------------------------------

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        try:
            if contains_unknown(news):
                return self.changed()
            return self.compare(self.outputs(olds), self.inputs(news))
        except Exception:
            return self.changed()

    @abstractmethod
    def compare(self, old: O, new: I) -> DiffResult:
        """The diff of known inputs against the stored outputs."""

    @staticmethod
    def changed(changed: bool = True, replaces: Sequence[str] = ()) -> DiffResult:
        # Deleting first is what palfleet's objects need when replaced: see resource_props.
        return DiffResult(changes=changed, replaces=list(replaces), delete_before_replace=True)


def rule_problems(
    model: type[M],
    spec: Any,
    rules: Callable[[Report, M], None],
    unknown: Sequence[UnknownPath],
) -> list[tuple[str, str]]:
    """(path, reason) of every error the declaration finds in ``spec``: its shape by ``model``,
    then ``rules``; an error at a value the engine does not know yet is no error."""
    try:
        checked = model.model_validate(spec)
    except ValidationError as exc:
        return [
            (".".join(str(p) for p in err["loc"]) or "spec", err["msg"])
            for err in exc.errors(include_input=False)
            if not touches(("spec", *err["loc"]), unknown)
        ]
    report = Report(None)
    rules(report, checked)
    return [
        (f.path, f"{f.message} ({f.fix})" if f.fix else f.message)
        for f in report.findings
        if f.severity == "error" and not touches(("spec", *path_of(f.path)), unknown)
    ]
