"""Provider settings read in ``configure()``, never at construction.

The provider object is pickled (dill) into every resource's ``__provider`` input, so it
must not carry credentials, clients or locks. Everything here is read inside the
dynamic-provider server process from the stack configuration the engine hands to
``configure()`` (and from the environment, for ``TAVUS_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API_BASE_URL = "https://tavusapi.com/v2"
CONFIG_NAMESPACE = "palfleet"
DEFAULT_API_KEY_CONFIG = "palfleet:tavusApiKey"
API_KEY_ENV = "TAVUS_API_KEY"
API_BASE_URL_ENV = "TAVUS_API_BASE_URL"


def qualified_config_key(key: str) -> str:
    """``apiKey`` -> ``palfleet:apiKey``; an already namespaced key is kept as written."""
    return key if ":" in key else f"{CONFIG_NAMESPACE}:{key}"


def split_config_key(key: str) -> tuple[str, str]:
    namespace, _, name = qualified_config_key(key).partition(":")
    return namespace, name


class MissingCredentials(Exception):
    """No Tavus API key could be found; the message says where to put one."""


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, repr=False)
class ProviderSettings:
    """What ``configure()`` learnt: the stack config (values may be secrets) and the environment."""

    lookup: Callable[[str], Any] = field(default=lambda _key: None)
    environ: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "ProviderSettings(<stack config>)"

    def _get(self, key: str) -> Any:
        return self.lookup(qualified_config_key(key))

    def base_url(self, declared: str | None) -> str:
        """Stack config override, then the stack's binding, then the environment, then Tavus."""
        override = self._get("apiBaseUrl")
        if override:
            return str(override)
        if declared:
            return declared
        return self.environ.get(API_BASE_URL_ENV) or DEFAULT_API_BASE_URL

    def api_key(self, config_key: str | None) -> str:
        key_name = config_key or DEFAULT_API_KEY_CONFIG
        value = self._get(key_name)
        if value:
            return str(value)
        env_value = self.environ.get(API_KEY_ENV)
        if env_value:
            return env_value
        raise MissingCredentials(
            f"no Tavus API key: set it with `pulumi config set --secret {key_name} <key>` "
            f"or export {API_KEY_ENV}"
        )

    def force_maker_overwrite(self) -> bool:
        value = self._get("forceMakerOverwrite")
        return value is not None and _truthy(value)

    @classmethod
    def from_configure(cls, config: Any) -> ProviderSettings:
        """``config`` is the ``pulumi.dynamic.Config`` of the ConfigureRequest (or a plain mapping)."""
        getter = config.get if config is not None else (lambda _key: None)
        return cls(lookup=getter, environ=dict(os.environ))
