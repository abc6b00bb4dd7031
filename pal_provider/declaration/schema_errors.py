"""Turn pydantic validation errors into `Finding`s with readable paths, messages and fixes.

Pydantic's own messages are fine for developers but not for a fleet owner: this module walks
the declaration models along each error location so it can name the real field path (without
union-member tags), suggest the closest known key or enum value, and never echo an input value
that could be a secret.
"""

from __future__ import annotations

import datetime
import difflib
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .findings import Finding, PathPart, join_path

# Persona-era spellings and their `/pals` replacements.
LEGACY_RENAMES = {
    "persona_name": "pal_name",
    "persona_id": "pal_id (not declared: use palfleet.adopt_id to take over an existing PAL)",
    "default_replica_id": "default_face_id (or `face: <logical name>` bound in bindings.faces)",
    "pal_id": "palfleet.adopt_id (ids are assigned by the API)",
}

Locate = Callable[[Sequence[PathPart]], "int | None"]


@dataclass
class _Walk:
    """Where an error location lands in the declaration models."""

    path: list[PathPart] = field(default_factory=list)
    types: list[Any] = field(default_factory=list)
    parent_model: type[BaseModel] | None = None
    union_member: bool = False


def _unwrap(annotation: Any) -> list[Any]:
    """Flatten Annotated/Optional/Union into the member types (None dropped)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        members: list[Any] = []
        for arg in typing.get_args(annotation):
            members.extend(_unwrap(arg))
        return members
    if annotation is type(None):
        return []
    return [annotation]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag_of(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is None or typing.get_origin(info.annotation) is not Literal:
        return None
    args = typing.get_args(info.annotation)
    return str(args[0]) if len(args) == 1 else None


def _walk(root: type[BaseModel], loc: Sequence[str | int]) -> _Walk:
    walk = _Walk(types=[root])
    for element in loc:
        current = walk.types
        models = [tp for tp in current if _is_model(tp)]
        containers = [tp for tp in current if typing.get_origin(tp) in (dict, list)]
        if element == "[key]":
            walk.types = [str]
            continue
        model_with_field = next(
            (m for m in models if isinstance(element, str) and element in m.model_fields), None
        )
        tagged = next((m for m in models if _tag_of(m) == element), None)
        if tagged is not None and len(models) > 1:
            walk.types = [tagged]
            continue
        if model_with_field is not None:
            walk.parent_model = model_with_field
            walk.path.append(element)
            walk.types = _unwrap(model_with_field.model_fields[element].annotation)
            walk.union_member = False
            continue
        dict_type = next((c for c in containers if typing.get_origin(c) is dict), None)
        list_type = next((c for c in containers if typing.get_origin(c) is list), None)
        if isinstance(element, int) and list_type is not None:
            walk.path.append(element)
            walk.types = _unwrap(typing.get_args(list_type)[0])
            continue
        if len(current) > 1 and isinstance(element, str) and _looks_like_member(element):
            # pydantic names the union member it tried (`str`, `dict[str,any]`...)
            walk.union_member = True
            continue
        if dict_type is not None:
            walk.path.append(str(element))
            walk.types = _unwrap(typing.get_args(dict_type)[1])
            continue
        if models:
            walk.parent_model = models[0]
        walk.path.append(element)
        walk.types = []
    return walk


def _looks_like_member(element: str) -> bool:
    base = element.split("[", 1)[0]
    return base in {"str", "int", "float", "bool", "dict", "list", "none"} or element[:1].isupper()


_EXPECTED = {
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
}


def describe_value(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date (YAML reads unquoted dates as dates)"
    return type(value).__name__


# Fields that hold a `{secret: key}` reference.
SECRET_FIELD_NAMES = frozenset({"api_key", "token", "password", "secret", "client_secret"})


def _allowed_literals(types_at: list[Any]) -> list[str]:
    values: list[str] = []
    for tp in types_at:
        if typing.get_origin(tp) is Literal:
            values.extend(str(arg) for arg in typing.get_args(tp))
    return values


def _did_you_mean(word: str, options: Sequence[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class _Issue:
    path: tuple[PathPart, ...]
    message: str
    fix: str


def _issue(error: ErrorDetails, root: type[BaseModel]) -> _Issue:
    walk = _walk(root, error["loc"])
    path = tuple(walk.path)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        allowed = sorted(walk.parent_model.model_fields) if walk.parent_model else []
        if key in LEGACY_RENAMES:
            fix = f"use {LEGACY_RENAMES[key]} (palfleet uses the /pals vocabulary)"
        elif (guess := _did_you_mean(key, allowed)) is not None:
            fix = f"did you mean '{guess}'?"
        else:
            fix = f"remove it; allowed keys here: {', '.join(allowed)}"
        return _Issue(path, f"unknown key '{key}'", fix)
    if error["loc"] and error["loc"][-1] == "[key]":
        return _Issue(
            path, f"this key is {describe_value(value)}, keys must be strings", "quote the key"
        )
    if kind == "missing":
        return _Issue(path, f"required key '{path[-1]}' is missing", "add it")
    if kind == "literal_secret":
        return _Issue(
            path,
            "a literal secret is written in the declaration (secrets never go in Git)",
            "run `pulumi config set --secret <key> <value>` and write `{secret: <key>}` here",
        )
    if kind == "secret_in_reference":
        return _Issue(
            path,
            "this secret reference holds what looks like the secret itself, not the name of "
            "the Pulumi config key that holds it (secrets never go in Git)",
            "run `pulumi config set --secret palfleet:<name> <the secret>` and write "
            "`{secret: palfleet:<name>}`; then rotate the secret, it is in the Git history",
        )
    if kind == "secret_config_key":
        return _Issue(
            path,
            "a secret reference must name a Pulumi config key",
            "write `{secret: palfleet:someKey}` (letters, digits, `_`, `.`, `-`, optional namespace)",
        )
    if kind == "literal_error":
        allowed = _allowed_literals(walk.types)
        shown = value if isinstance(value, (str, int, float, bool)) else describe_value(value)
        if isinstance(value, str) and value in allowed:
            # `version: "1"`: the right value, quoted into a string.
            return _Issue(
                path,
                f"{value!r} is a quoted string here, but a number is expected",
                f"remove the quotes: {path[-1]}: {value}",
            )
        guess = _did_you_mean(str(value), allowed) if isinstance(value, str) else None
        fix = f"did you mean '{guess}'? " if guess else ""
        return _Issue(
            path,
            f"invalid value {shown!r}",
            f"{fix}allowed values: {', '.join(allowed)}",
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        what = (
            f"unknown type {ctx.get('tag')!r}" if kind == "union_tag_invalid" else "missing 'type'"
        )
        return _Issue(path, what, f"set type to one of: {tags}")
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        fix = f"write {expected} here"
        if path and path[-1] in SECRET_FIELD_NAMES and not isinstance(value, dict):
            return _Issue(
                path,
                f"{path[-1]} must be a secret reference, got {describe_value(value)} "
                "(secrets never go in Git)",
                f"run `pulumi config set --secret palfleet:<name> <value>` and write "
                f"`{path[-1]}: {{secret: palfleet:<name>}}`",
            )
        if isinstance(value, (datetime.date, datetime.datetime)):
            fix = 'quote the value, e.g. "2024-10-21"'
        return _Issue(path, f"expected {expected}, got {describe_value(value)}", fix)
    return _Issue(path, str(error["msg"]), "correct the value")


def _merge_union_issues(issues: list[_Issue], member_flags: dict[int, bool]) -> list[_Issue]:
    """A value failing every member of `A | B` yields one issue per member: keep one."""
    merged: dict[tuple[PathPart, ...], _Issue] = {}
    for index, issue in enumerate(issues):
        previous = merged.get(issue.path)
        if previous is None:
            merged[issue.path] = issue
            continue
        both_types = previous.message.startswith("expected ") and issue.message.startswith(
            "expected "
        )
        if member_flags[index] and both_types:
            head, _, got = previous.message.partition(", got ")
            wanted = issue.message.partition(", got ")[0].removeprefix("expected ")
            if wanted not in head:
                fix = previous.fix if "quote" in previous.fix else "write one of those here"
                merged[issue.path] = _Issue(issue.path, f"{head} or {wanted}, got {got}", fix)
    return list(merged.values())


def validation_findings(
    exc: ValidationError,
    root: type[BaseModel],
    *,
    stack: str | None,
    file: str | None = None,
    prefix: Sequence[PathPart] = (),
    pal: str | None = None,
    locate: Locate | None = None,
) -> list[Finding]:
    """Findings for every error of `exc`, raised while validating `root`."""
    errors = exc.errors(include_url=False)
    issues = [_issue(error, root) for error in errors]
    member_flags = {i: _walk(root, e["loc"]).union_member for i, e in enumerate(errors)}
    findings = []
    for issue in _merge_union_issues(issues, member_flags):
        parts = (*prefix, *issue.path)
        owner = pal
        if owner is None and len(parts) >= 2 and parts[0] == "pals":
            owner = str(parts[1])
        findings.append(
            Finding(
                stack=stack,
                pal=owner,
                path=join_path(parts),
                severity="error",
                message=issue.message,
                fix=issue.fix,
                file=file,
                line=locate(parts) if locate else None,
            )
        )
    return findings
