"""The shape of a PalResource's inputs and outputs, as the provider sees them.

Secrets travel apart from the readable spec: ``spec`` holds ``{"$secret": "<config key>"}``
markers where a secret belongs, and the top-level ``secrets`` map (JSON pointer -> value)
carries the values. ``secrets`` is a secret input, mirrored as an output key and listed in
``additional_secret_outputs``, so Pulumi keeps it encrypted in state; the rest of the
state stays readable and secret-free.

How the provider talks (API URL, key name, adoption, force) travels as one ``settings``
input. Every top-level input becomes an ``Output`` of the registered resource, and the SDK's
``wait_for_rpcs`` waits on all of them with ``FIRST_COMPLETED`` (``pulumi/runtime/stack.py``),
which costs time quadratic in the number of Outputs of the whole program: few top-level keys
keep a large fleet's ``pulumi up`` linear. States written before the grouping (the same keys
at the top level) are read as if grouped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pal_provider.core.jsonvalue import restore_integers
from pal_provider.core.masking import SECRET_REF_KEY, replace_secret_refs, secret_refs
from pal_provider.provider.unknowns import Path as UnknownPath
from pal_provider.provider.unknowns import split_unknowns, touches

PROVIDER_KEY = "__provider"
SECRET_MARKER = SECRET_REF_KEY


T = TypeVar("T", bound="DeclaredInputs")


@dataclass(frozen=True)
class CheckedInputs(Generic[T]):
    """What ``check()`` learnt: the known inputs that could be read (None when a required one
    could not), every problem, and the paths of the values the engine does not know yet."""

    inputs: T | None
    problems: list[tuple[str, str]]
    unknown: list[UnknownPath]


class ResourceSettings(BaseModel):
    """Where and how the provider talks for one resource: not the remote object's content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_base_url: str | None = None
    api_key_config: str | None = None

    def changes(self, new: ResourceSettings) -> list[str]:
        return sorted(
            f"settings.{name}"
            for name in type(new).model_fields
            if getattr(self, name, None) != getattr(new, name)
        )


class PalSettings(ResourceSettings):
    adopt_id: str | None = None
    force_maker_overwrite: bool = False
    # Inline tools this PAL is migrating to the registry (their names), see attachments.py.
    migrated_tool_names: list[str] | None = None


class DeclaredInputs(BaseModel):
    """What every palfleet resource declares: a readable spec with secret markers, the
    secret values apart, and which account to talk to (the resource's inputs, minus
    ``__provider``)."""

    model_config = ConfigDict(extra="forbid")

    logical_name: str
    spec: dict[str, Any]
    secrets: dict[str, str] = Field(default_factory=dict)
    settings: ResourceSettings = Field(default_factory=ResourceSettings)

    @model_validator(mode="before")
    @classmethod
    def _group_legacy_settings(cls, data: Any) -> Any:
        """A state written before ``settings`` existed has its fields at the top level."""
        if not isinstance(data, dict):
            return data
        flat = {k: data[k] for k in cls.settings_type().model_fields if k in data}
        if not flat:
            return data
        grouped = {k: v for k, v in data.items() if k not in flat}
        current = grouped.get("settings")
        grouped["settings"] = {**flat, **(current if isinstance(current, dict) else {})}
        return grouped

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> Self:
        known = set(cls.model_fields) | set(cls.settings_type().model_fields)
        fields = {k: v for k, v in props.items() if k in known and v is not None}
        return cls.model_validate(restore_integers(fields))

    @classmethod
    def settings_type(cls) -> type[ResourceSettings]:
        annotation = cls.model_fields["settings"].annotation
        assert isinstance(annotation, type) and issubclass(annotation, ResourceSettings)
        return annotation

    @classmethod
    def checked(cls, props: dict[str, Any]) -> CheckedInputs[Self]:
        """For ``check()``: the known inputs, and (property, reason) for each bad input.

        ``from_props`` tolerates keys it does not know (outputs, older states); a program
        that passes an unknown input should hear about it instead. Values the engine does not
        know yet (a preview) are left out of the validation, never reported.
        """
        known, holes = split_unknowns(props)
        problems = [
            (key, f"unknown input {key!r}; expected one of: {', '.join(sorted(cls.model_fields))}")
            for key, value in sorted(props.items())
            if key != PROVIDER_KEY and value is not None and key not in cls.model_fields
        ]
        # A required input that is unknown as a whole gets a stand-in of its type.
        for name, field in cls.model_fields.items():
            if field.is_required() and (name,) in holes:
                known[name] = {} if name == "spec" else ""
        try:
            inputs = cls.from_props(known)
        except ValidationError as exc:
            errors = exc.errors(include_input=False)
            problems += [
                (".".join(str(p) for p in err["loc"]) or "inputs", err["msg"])
                for err in errors
                if not touches(tuple(err["loc"]), holes)
            ]
            # Without the bad optional inputs, the rest (the spec above all) is still checked.
            bad = {str(err["loc"][0]) for err in errors if err["loc"]}
            if any(
                cls.model_fields[name].is_required() for name in bad if name in cls.model_fields
            ):
                return CheckedInputs(None, problems, holes)
            try:
                inputs = cls.from_props({k: v for k, v in known.items() if k not in bad})
            except ValidationError:
                return CheckedInputs(None, problems, holes)
        return CheckedInputs(inputs, problems, holes)

    def setting_changes(self, new: DeclaredInputs) -> list[str]:
        """What differs here outside the remote object's content: the logical name and the
        settings (API URL, key name, adoption, force). A change of these alone rewrites the
        stored outputs and sends nothing; left out of the diff, the engine would keep the old
        values for refresh and destroy."""
        renamed = ["logical_name"] if self.logical_name != new.logical_name else []
        return renamed + self.settings.changes(new.settings)

    def body(self) -> dict[str, Any]:
        """The API body, with secret values in place (never log or render this)."""
        return with_secrets(self.spec, self.secrets)

    def missing_secrets(self, unknown: Sequence[UnknownPath] = ()) -> list[str]:
        """Secret markers with no value; a value the engine does not know yet is not missing."""
        if ("secrets",) in unknown:
            return []
        pending = {str(path[1]) for path in unknown if len(path) == 2 and path[0] == "secrets"}
        return sorted(
            p for p in secret_refs(self.spec) if p not in self.secrets and p not in pending
        )


def created_at_of(document: dict[str, Any]) -> str | None:
    """The server's ``created_at`` of a document, as text (it is stored as an output)."""
    value = document.get("created_at")
    return None if value is None else str(value)


def with_secrets(spec: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """A copy of ``spec`` with each secret marker replaced by its value from ``secrets``."""
    body = replace_secret_refs(spec, lambda pointer, _key: secrets[pointer])
    assert isinstance(body, dict)
    return body


class PalInputs(DeclaredInputs):
    """What the program declares for one PAL."""

    settings: PalSettings = Field(default_factory=PalSettings)
    # Registry tool ids to attach (None: attachments not managed, e.g. older state).
    attached_tool_ids: list[str] | None = None


class PalOutputs(PalInputs):
    """Inputs plus what the API assigned. Outputs mirror input keys so secretness survives.

    No ``updated_at``: it changes whenever the server touches the PAL (an attach, a human
    edit), so keeping it would make every refresh report a change that is not drift.
    """

    pal_id: str
    created_at: str | None = None

    def as_inputs(self) -> PalInputs:
        return PalInputs.model_validate(self.model_dump(include=set(PalInputs.model_fields)))
