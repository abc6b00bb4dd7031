"""Secretness bookkeeping the engine does itself, and redaction of secret values from text.

The dynamic provider server answers ``Configure`` with ``acceptSecrets: False``
(``pulumi/dynamic/__main__.py``), so providers only ever see plain values and return plain
outputs. Like the Pulumi engine, we therefore re-mark outputs as secret:

* an output mirrors a secret input: the rule of ``annotateSecrets`` in Pulumi's
  ``pkg/resource/plugin/provider_plugin.go`` -- for every input key also present in the
  outputs, recurse when both values are (non-secret) objects, otherwise mark the output value
  secret when the input value contains any secret;
* the resource lists the key in ``additional_secret_outputs``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from pal_engine import property_paths
from pal_engine.property_paths import PropertyPath

REDACTED = "[secret]"


def mirror_secrets(
    outputs: dict[str, Any], inputs: dict[str, Any], input_secrets: Iterable[PropertyPath]
) -> set[PropertyPath]:
    """Output paths that become secret because the same input path holds a secret."""
    secret_inputs = property_paths.outermost(input_secrets)
    marked: set[PropertyPath] = set()

    def walk(outs: dict[str, Any], ins: dict[str, Any], prefix: PropertyPath) -> None:
        for key, in_value in ins.items():
            if key not in outs:
                continue
            path = (*prefix, key)
            out_value = outs[key]
            input_is_secret = path in secret_inputs
            if isinstance(out_value, dict) and isinstance(in_value, dict) and not input_is_secret:
                walk(out_value, in_value, path)
            elif any(property_paths.is_prefix(path, secret) for secret in secret_inputs):
                marked.add(path)

    walk(outputs, inputs, ())
    return marked


def output_secrets(
    outputs: dict[str, Any],
    inputs: dict[str, Any],
    input_secrets: Iterable[PropertyPath],
    additional_secret_outputs: Iterable[str],
) -> set[PropertyPath]:
    """All secret output paths of a resource after Create/Update/Read."""
    marked = mirror_secrets(outputs, inputs, input_secrets)
    marked.update((key,) for key in additional_secret_outputs if key in outputs)
    return property_paths.outermost(marked)


def carried_secrets(value: dict[str, Any], paths: Iterable[PropertyPath]) -> set[PropertyPath]:
    """The subset of ``paths`` that still exist in ``value`` (secretness is never dropped)."""
    return {path for path in paths if property_paths.exists(value, path)}


def secret_strings(value: dict[str, Any], paths: Iterable[PropertyPath]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        if property_paths.exists(value, path):
            found.update(property_paths.string_leaves(property_paths.get(value, path)))
    return found


def masked(value: Any, paths: Iterable[PropertyPath]) -> Any:
    """A copy of ``value`` with every secret path replaced by ``[secret]`` (for reprs)."""
    if not isinstance(value, dict):
        return value
    result = copy.deepcopy(value)
    for path in property_paths.outermost(paths):
        if path and property_paths.exists(result, path):
            property_paths.put(result, path, REDACTED)
    return result


class Redactor:
    """Replaces known secret strings in free text (provider tracebacks, program logs).

    Thread-safe: registrations arrive on several executor threads at once.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(secret for secret in secrets if len(secret) >= 3)

    def __call__(self, text: str) -> str:
        with self._lock:
            ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in ordered:
            text = text.replace(secret, REDACTED)
        return text
