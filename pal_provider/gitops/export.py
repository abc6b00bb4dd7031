"""``palfleet export``: a fleet declaration that reproduces (and adopts) live user PALs.

* Only user PALs are read (stock/system PALs never); ``--select`` narrows to pal_names or ids.
* Logical names come from ``pal_name`` (slugified, deduplicated); ``bindings.adopt_ids`` maps
  each to its pal_id so ``pulumi up`` takes the PAL over instead of creating a copy.
* Face ids go to ``bindings.faces`` (logical name: the first PAL using the face), custom LLM
  endpoints (``base_url`` + headers + default query) to ``bindings.llm_endpoints``.
* Secrets (the API masks them) become references ``{secret: palfleet:<name>}`` the user fills
  with the printed ``pulumi config set --secret`` commands.
* Attached registry tools go under ``tools:`` and each PAL's ``palfleet.tools``.
* The guardrails and objective set a PAL points at go under ``guardrails:`` / ``objectives:``
  (logical names from their API names) and its ``palfleet.guardrails`` / ``objectives``; its
  knowledge-base documents to ``bindings.documents`` and ``palfleet.documents``. No per-account
  id stays in a PAL's intent, so the export promotes.
* Values common to every exported PAL (two or more) are factored into ``defaults``.

The result is validated with ``load_stack``; comparing it with the account (``palfleet plan``)
finds no change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pal_provider.api import PalApiError
from pal_provider.core import canonicalize
from pal_provider.core.jsonvalue import delete_pruning
from pal_provider.core.masking import TOOL_AUTH_SECRET_KEYS
from pal_provider.core.records import GUARDRAIL, OBJECTIVES, RecordKind, canonical_record
from pal_provider.declaration.findings import CREDENTIAL_HEADERS
from pal_provider.declaration.tool_definition import canonical_tool
from pal_provider.declaration.yaml_source import read_yaml

from .formats import check_format, document, error_document
from .live import (
    DEFAULT_CONCURRENCY,
    LiveAccount,
    Progress,
    may_carry_tools,
    read_attached,
    read_pals,
    read_records,
    read_tools,
)
from .names import camel, slugify, unique
from .plan import CommandOutput
from .session import (
    DEFAULT_API_KEY_ENV,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    account_error,
    api_key_from_env,
    configured_base_url,
    connect,
    load_text_stack,
    scrub,
)
from .yamlio import dump_text, to_commented

# Never factored into defaults: identity, reconciler options, and what defaults may not hold.
NOT_DEFAULTS: Final = frozenset({"pal_name", "palfleet"})
FIRST_KEYS: Final = ("pal_name", "face", "pipeline_mode", "system_prompt", "context", "greeting")


@dataclass(frozen=True)
class ExportOptions:
    stack: str
    select: tuple[str, ...] = ()
    output: Path | None = None
    root: Path = Path("stacks")
    api_key_env: str = DEFAULT_API_KEY_ENV
    api_base_url: str | None = None
    force: bool = False
    fmt: str = "text"


@dataclass
class Exported:
    document: dict[str, Any]
    secret_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _secret(key: str, exported: Exported) -> dict[str, str]:
    config_key = f"palfleet:{key}"
    if config_key not in exported.secret_keys:
        exported.secret_keys.append(config_key)
    return {"secret": config_key}


def select_pals(pals: dict[str, dict[str, Any]], select: tuple[str, ...]) -> list[str]:
    """pal_ids to export, sorted by (pal_name, pal_id)."""
    if select:
        chosen: set[str] = set()
        for wanted in select:
            hits = [i for i, p in pals.items() if i == wanted or p.get("pal_name") == wanted]
            if not hits:
                raise CommandError(
                    f"--select {wanted!r} matches no live user PAL (by pal_name or pal_id) -- "
                    "fix: check the spelling; stock PALs cannot be exported"
                )
            chosen.update(hits)
    else:
        chosen = set(pals)
    ids = sorted(chosen, key=lambda i: (str(pals[i].get("pal_name", "")), i))
    by_name: dict[str, list[str]] = {}
    for pal_id in ids:
        by_name.setdefault(str(pals[pal_id].get("pal_name", "")), []).append(pal_id)
    dupes = {name: group for name, group in by_name.items() if len(group) > 1}
    if dupes:
        listing = "; ".join(
            f"{name!r}: {', '.join(group)}" for name, group in sorted(dupes.items())
        )
        raise CommandError(
            f"live PALs share a pal_name ({listing}), and pal_names must be unique in a stack -- "
            "fix: rename all but one in the account, or export one of them with --select <pal_id>"
        )
    return ids


# The order people write JSON Schema in; other keys follow alphabetically.
SCHEMA_KEYS: Final = ("type", "title", "description", "properties", "items", "required", "enum")


def schema_order(schema: Any) -> Any:
    """A JSON Schema with its keys in the natural order (``type``, ``properties``,
    ``required``...), at every level, whatever order the API returned them in. The names
    under ``properties`` are the author's and keep their order."""
    if isinstance(schema, list):
        return [schema_order(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    keys = [k for k in SCHEMA_KEYS if k in schema]
    keys += sorted(k for k in schema if k not in SCHEMA_KEYS)
    ordered: dict[str, Any] = {}
    for key in keys:
        value = schema[key]
        if key == "properties" and isinstance(value, dict):
            ordered[key] = {name: schema_order(sub) for name, sub in value.items()}
        else:
            ordered[key] = schema_order(value)
    return ordered


def _ordered(pal: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in FIRST_KEYS if k in pal] + sorted(k for k in pal if k not in FIRST_KEYS)
    return {k: pal[k] for k in keys}


class _Builder:
    def __init__(self, live: LiveAccount, exported: Exported) -> None:
        self.live = live
        self.exported = exported
        self.faces: dict[str, str] = {}  # face id -> logical name
        self.endpoints: dict[str, dict[str, Any]] = {}  # logical name -> binding
        self.endpoint_keys: dict[str, str] = {}  # json of (base_url, headers, query) -> name
        self.binding_names: set[str] = set()
        # record id -> logical name, and logical name -> definition, per kind
        self.record_names: dict[str, dict[str, str]] = {"guardrail": {}, "objectives": {}}
        self.records: dict[str, dict[str, dict[str, Any]]] = {"guardrail": {}, "objectives": {}}
        self.documents: dict[str, str] = {}  # document id -> logical name

    def face(self, face_id: str, owner: str) -> str:
        """The binding name of a face: after the face's own name when the API lists it,
        else after the first PAL that uses it."""
        if face_id not in self.faces:
            named = slugify(self.live.face_names.get(face_id, "")) or owner
            self.faces[face_id] = unique(named, self.binding_names | set(self.faces.values()))
        return self.faces[face_id]

    def endpoint(self, llm: dict[str, Any], owner: str) -> str:
        headers = {
            k: v
            for k, v in (llm.get("headers") or {}).items()
            if k.lower() not in CREDENTIAL_HEADERS
        }
        dropped = sorted(set(llm.get("headers") or {}) - set(headers))
        if dropped:
            self.exported.notes.append(
                f"PAL {owner}: header(s) {', '.join(dropped)} carry credentials and cannot be "
                "declared; they were left out (a plan will show their removal)"
            )
        query = llm.get("default_query") or {}
        key = json.dumps([llm["base_url"], headers, query], sort_keys=True)
        if key not in self.endpoint_keys:
            name = unique(f"{owner}-llm", set(self.endpoints))
            binding: dict[str, Any] = {
                "base_url": llm["base_url"],
                "api_key": _secret(camel(name, "api key"), self.exported),
            }
            if headers:
                binding["headers"] = headers
            if query:
                binding["default_query"] = query
            self.endpoints[name] = binding
            self.endpoint_keys[key] = name
        return self.endpoint_keys[key]

    def record(self, kind: RecordKind, record_id: str, live: list[dict[str, Any]]) -> str | None:
        """The logical name of a live guardrail or objective set (None: not in the account)."""
        names = self.record_names[kind.kind]
        if record_id not in names:
            found = next((r for r in live if r.get(kind.id_key) == record_id), None)
            if found is None:
                return None
            api_name = str(found.get(kind.name_key) or kind.kind)
            logical = unique(slugify(api_name) or kind.kind, set(self.records[kind.kind]))
            definition = canonical_record(kind, found)
            if definition.get(kind.name_key) == logical:
                del definition[kind.name_key]
            names[record_id] = logical
            self.records[kind.kind][logical] = definition
        return names[record_id]

    def _references(self, logical: str, body: dict[str, Any]) -> None:
        """Per-account ids out of the PAL's intent, into names the stack declares or binds."""
        options: dict[str, Any] = {}
        guardrails: list[str] = []
        kept: list[str] = []
        for record_id in body.pop("guardrail_ids", []):
            name = self.record(GUARDRAIL, str(record_id), self.live.guardrails)
            (guardrails if name else kept).append(name or record_id)
        if kept:
            body["guardrail_ids"] = kept
            self.exported.notes.append(
                f"PAL {logical}: guardrail id(s) {', '.join(kept)} are not in the account's "
                "list; kept as raw ids"
            )
        if guardrails:
            options["guardrails"] = sorted(guardrails)
        objectives_id = body.pop("objectives_id", None)
        if objectives_id is not None:
            name = self.record(OBJECTIVES, str(objectives_id), self.live.objectives)
            if name:
                options["objectives"] = name
            else:
                body["objectives_id"] = objectives_id
        documents = [self.document(str(d)) for d in body.pop("document_ids", [])]
        if documents:
            options["documents"] = sorted(documents)
        if options:
            body.setdefault("palfleet", {}).update(options)

    def document(self, document_id: str) -> str:
        if document_id not in self.documents:
            named = slugify(self.live.document_names.get(document_id, "")) or "document"
            self.documents[document_id] = unique(named, set(self.documents.values()))
        return self.documents[document_id]

    def pal(self, logical: str, live_pal: dict[str, Any]) -> dict[str, Any]:
        body = canonicalize(live_pal, live=True)
        body.pop("tool_ids", None)
        self._references(logical, body)
        face_id = body.pop("default_face_id", None)
        if isinstance(face_id, str):
            body["face"] = self.face(face_id, logical)
        layers = body.get("layers", {})
        llm = layers.get("llm")
        if isinstance(llm, dict):
            if llm.get("base_url"):
                endpoint = self.endpoint(llm, logical)
                for key in ("base_url", "api_key", "headers", "default_query"):
                    llm.pop(key, None)
                body.setdefault("palfleet", {})["llm_endpoint"] = endpoint
            elif "api_key" in llm:
                llm.pop("api_key")
                self.exported.notes.append(
                    f"PAL {logical}: layers.llm.api_key is set on a hosted model (no base_url); "
                    "a declaration cannot hold it, so it was left out"
                )
        tts = layers.get("tts")
        if isinstance(tts, dict) and "api_key" in tts:
            tts["api_key"] = _secret(camel(logical, "tts api key"), self.exported)
        return body

    def tool(self, name: str, live_tool: dict[str, Any]) -> dict[str, Any]:
        body = canonical_tool(live_tool)
        body.pop("name", None)
        if isinstance(body.get("parameters"), dict):
            body["parameters"] = schema_order(body["parameters"])
        auth = body.get("delivery", {}).get("api", {}).get("auth")
        if isinstance(auth, dict):
            for key in sorted(TOOL_AUTH_SECRET_KEYS):
                if key in auth:
                    auth[key] = _secret(camel(name, key), self.exported)
        return body


def _leaves(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and value:
            out.update(_leaves(value, (*prefix, key)))
        else:
            out[(*prefix, key)] = value
    return out


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def factor_defaults(pals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Move the leaves equal in every PAL (two PALs or more) into a defaults document."""
    if len(pals) < 2:
        return {}
    bodies = list(pals.values())
    common = _leaves(bodies[0])
    for body in bodies[1:]:
        leaves = _leaves(body)
        common = {
            p: v
            for p, v in common.items()
            if p in leaves
            and json.dumps(leaves[p], sort_keys=True) == json.dumps(v, sort_keys=True)
        }
    defaults: dict[str, Any] = {}
    for path in sorted(common):
        if path[0] in NOT_DEFAULTS:
            continue
        _put(defaults, path, common[path])
        for body in bodies:
            delete_pruning(body, path)
    return defaults


def build_export(live: LiveAccount, pal_ids: list[str], *, api_base_url: str) -> Exported:
    exported = Exported(document={})
    builder = _Builder(live, exported)
    taken: set[str] = set()
    pals: dict[str, dict[str, Any]] = {}
    adopt_ids: dict[str, str] = {}
    tools: dict[str, dict[str, Any]] = {}
    for pal_id in pal_ids:
        live_pal = live.pals[pal_id]
        logical = unique(slugify(str(live_pal.get("pal_name", ""))), taken)
        body = builder.pal(logical, live_pal)
        attached = sorted(str(t.get("name")) for t in live.attached.get(pal_id, []))
        for tool in live.attached.get(pal_id, []):
            name = str(tool.get("name"))
            if name not in tools:
                tools[name] = builder.tool(name, live.tools.get(name, tool))
        if attached:
            body.setdefault("palfleet", {})["tools"] = attached
        pals[logical] = body
        adopt_ids[logical] = pal_id
    defaults = factor_defaults(pals)
    bindings: dict[str, Any] = {
        "api_base_url": api_base_url,
        "api_key": {"secret": "palfleet:tavusApiKey"},
    }
    if builder.faces:
        bindings["faces"] = {
            name: face_id for face_id, name in sorted(builder.faces.items(), key=lambda i: i[1])
        }
    if builder.endpoints:
        bindings["llm_endpoints"] = dict(sorted(builder.endpoints.items()))
    if adopt_ids:
        bindings["adopt_ids"] = dict(sorted(adopt_ids.items()))
    if builder.documents:
        bindings["documents"] = {
            name: doc_id for doc_id, name in sorted(builder.documents.items(), key=lambda i: i[1])
        }
    document: dict[str, Any] = {"version": 1, "bindings": bindings}
    if defaults:
        document["defaults"] = _ordered(defaults)
    document["pals"] = {name: _ordered(body) for name, body in sorted(pals.items())}
    if tools:
        document["tools"] = dict(sorted(tools.items()))
    if builder.records["guardrail"]:
        document["guardrails"] = dict(sorted(builder.records["guardrail"].items()))
    if builder.records["objectives"]:
        document["objectives"] = dict(sorted(builder.records["objectives"].items()))
    exported.document = document
    exported.secret_keys.sort()
    return exported


def render_yaml(exported: Exported, stack: str) -> str:
    header = (
        f"# palfleet fleet declaration of stack {stack!r}, exported from the live account by\n"
        "# `palfleet export` (format: docs/fleet-format.md). Every PAL is adopted through\n"
        "# bindings.adopt_ids. Secret references must be filled with `pulumi config set --secret`.\n"
    )
    return header + dump_text(to_commented(exported.document))


def instructions(exported: Exported, stack: str) -> list[str]:
    lines = ["Set the secrets this declaration refers to (values are never exported):"]
    lines += [
        f"  pulumi config set --secret {key} <value> --stack {stack}"
        for key in sorted({"palfleet:tavusApiKey", *exported.secret_keys})
    ]
    return lines + [f"note: {note}" for note in exported.notes]


def _existing_base_url(stack: str, root: Path) -> str | None:
    path = root / stack / "fleet.yaml"
    if path.is_file():
        data: Any = read_yaml(path.read_text(encoding="utf-8")).data
        bindings = data.get("bindings") if isinstance(data, dict) else None
        url = bindings.get("api_base_url") if isinstance(bindings, dict) else None
        if isinstance(url, str) and url:
            return url
    return configured_base_url(stack, root)


def validate_text(stack: str, text: str) -> list[str]:
    """Error findings of ``text`` as a fleet.yaml of ``stack`` (validated in a scratch dir)."""
    result, scratch = load_text_stack(stack, text)
    return [f.render().replace(scratch, ".") for f in result.errors]


def export_stack(options: ExportOptions) -> tuple[str, list[str], list[str], str]:
    """(yaml text, instructions, validation errors, api key); raises :class:`CommandError`."""
    api_key = api_key_from_env(options.api_key_env)
    url = options.api_base_url or _existing_base_url(options.stack, options.root)
    if not url:
        raise CommandError(
            f"no API base URL: stack {options.stack!r} has no declaration yet -- fix: pass "
            "--api-base-url (e.g. https://tavusapi.com/v2)"
        )
    client = connect(url, api_key)
    progress = Progress()
    try:
        pals = read_pals(client, progress)
        ids = select_pals(pals, options.select)
        carrying = [pal_id for pal_id in ids if may_carry_tools(pals[pal_id])]
        tools = read_tools(client)
        selected = [pals[pal_id] for pal_id in ids]
        live = LiveAccount(
            pals=pals,
            tools=tools,
            attached=read_attached(
                client,
                carrying,
                concurrency=DEFAULT_CONCURRENCY,
                progress=progress,
                pals=pals,
                tools=tools,
            ),
            face_names=client.face_names(),
            # Read only when a selected PAL points at any: an export without them sends nothing
            # more.
            guardrails=(
                read_records(client, GUARDRAIL)
                if any(p.get("guardrail_ids") for p in selected)
                else []
            ),
            objectives=(
                read_records(client, OBJECTIVES)
                if any(p.get("objectives_id") for p in selected)
                else []
            ),
            document_names=(
                client.document_names() if any(p.get("document_ids") for p in selected) else {}
            ),
        )
    except PalApiError as exc:
        raise account_error(exc, client.base_url, options.stack) from None
    exported = build_export(live, ids, api_base_url=url)
    text = render_yaml(exported, options.stack)
    return text, instructions(exported, options.stack), validate_text(options.stack, text), api_key


def run_export(options: ExportOptions) -> CommandOutput:
    try:
        check_format(options.fmt)
        if options.output is not None and options.output.exists() and not options.force:
            # Checked before reading the account: an export replaces the whole file, losing a
            # hand-written fleet.yaml's comments and bindings.
            raise CommandError(
                f"{options.output} exists; export would replace it whole (its comments and "
                "bindings would be lost) -- fix: choose another --output, or pass --force"
            )
        text, notes, problems, api_key = export_stack(options)
    except CommandError as exc:
        shown = error_document("export", exc) if options.fmt == "json" else ""
        return CommandOutput(shown, exc.render(), EXIT_ERROR)
    secrets = [api_key]
    if options.fmt == "json":
        if options.output is not None:
            options.output.parent.mkdir(parents=True, exist_ok=True)
            options.output.write_text(scrub(text, secrets), encoding="utf-8")
        body = document(
            "palfleet.export/1",
            stack=options.stack,
            ok=not problems,
            output=str(options.output) if options.output is not None else None,
            declaration=text,
            notes=notes,
            problems=problems,
        )
        return CommandOutput(scrub(body, secrets), "", EXIT_ERROR if problems else EXIT_OK)
    text = scrub(text, secrets)
    report = "\n".join(notes) + "\n"
    if problems:
        report += "palfleet: the exported declaration does not validate:\n"
        report += "".join(f"  {p}\n" for p in problems)
    code = EXIT_ERROR if problems else EXIT_OK
    if options.output is None:
        return CommandOutput(text, scrub(report, secrets), code)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    summary = f"wrote {options.output}\n"
    return CommandOutput(scrub(summary + report, secrets), "", code)
