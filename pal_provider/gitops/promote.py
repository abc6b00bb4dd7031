"""``palfleet promote SOURCE TARGET``: copy intent from one environment's declaration to the next.

Intent is ``defaults``, ``pals``, ``tools``, ``guardrails`` and ``objectives``; ``bindings`` (and
so secret names, faces, endpoints, documents, adopt ids) are never touched. Guardrails and
objective sets are promoted by logical name, so no environment's per-account id is copied: the
target's ``pulumi up`` creates (or adopts) its own. Per-PAL ``palfleet.adopt_id`` is environment-bound:
it is never copied, and the target keeps its own. The target file is edited in place with a
round-trip YAML parser, so its comments and key order survive wherever the content is
unchanged; new content brings the source's comments.

Safety rules:

* removing a PAL (or a registry tool) from the target needs ``--allow-removal``;
* every face, LLM endpoint and logical secret name the promoted intent refers to must be bound
  in the target (else an error names the binding and the fix);
* the target must still validate (``load_stack``) after the change;
* a part of the target (``defaults``, ``pals.<name>``, ``tools.<name>``) edited on its own since
  the last promotion (its fingerprint differs from the one recorded in
  ``stacks/<target>/.promoted.json``), that the promotion would overwrite, needs ``--force``.
  The record is a sidecar file because the declaration models forbid unknown keys.

Only what ran is promoted: by default the promoted PALs, and the registry tools they use, must
be applied and unchanged in the source environment's live account, by the same comparison as
``palfleet plan``; otherwise the promotion is refused, naming what was never applied or has
drifted (``--unverified`` skips the check, and the record says so). The record keeps the
source's fingerprints of what was promoted and the verification's result.

Exit codes: 0 nothing to promote or written (``--write``), 2 changes shown (dry run), 1 error.
``--pal NAME`` (repeatable) promotes those PALs and the registry tools they attach, and
leaves ``defaults`` and every other PAL alone.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from pal_provider.core.jsonvalue import to_dotted
from pal_provider.declaration import load_stack

from .export import validate_text
from .formats import check_format, document, error_document
from .plan import CommandOutput, PlanOptions, compare_stack
from .session import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    base_url_for,
    load_declared,
)
from .yamlio import dump_text, load_text, to_plain

RECORD_NAME: Final = ".promoted.json"
INTENT_KEYS: Final = ("defaults", "pals", "tools", "guardrails", "objectives")
# Sections of named objects PALs refer to through palfleet.<key> (a list, or one name).
REFERENCED: Final = {"tools": "tools", "guardrails": "guardrails", "objectives": "objectives"}


@dataclass(frozen=True)
class PromoteOptions:
    source: str
    target: str
    pals: tuple[str, ...] = ()
    write: bool = False
    allow_removal: bool = False
    force: bool = False
    root: Path = Path("stacks")
    verify: bool = True
    api_key_env: str = "TAVUS_API_KEY"
    api_base_url: str | None = None
    fmt: str = "text"


@dataclass
class Promotion:
    old_text: str
    new_text: str
    record: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # The source's PALs this promotion copies (removals are not among them).
    pals: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def fingerprint(node: Any) -> str:
    text = json.dumps(to_plain(node), sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _without_adopt_id(pal: Any) -> Any:
    """A copy of a PAL node without ``palfleet.adopt_id`` (and an emptied ``palfleet``)."""
    out = copy.deepcopy(pal)
    options = out.get("palfleet") if isinstance(out, Mapping) else None
    if isinstance(options, dict) and "adopt_id" in options:
        del options["adopt_id"]
        if not options:
            del out["palfleet"]
    return out


def _part_fingerprint(doc: Mapping[str, Any], part: str) -> str | None:
    section, _, name = part.partition(".")
    node = doc.get(section)
    if name:
        node = node.get(name) if isinstance(node, Mapping) else None
        if node is not None and section == "pals":
            node = _without_adopt_id(node)
    return None if node is None else fingerprint(node)


def sync(dst: CommentedMap, src: Mapping[str, Any]) -> None:
    """Make ``dst`` equal to ``src`` in place, keeping ``dst``'s nodes (and comments) where
    they already hold the same content."""
    for key in [k for k in dst if k not in src]:
        del dst[key]
    for position, (key, value) in enumerate(src.items()):
        if key in dst:
            current = dst[key]
            if isinstance(current, CommentedMap) and isinstance(value, Mapping):
                sync(current, value)
            elif to_plain(current) != to_plain(value):
                dst[key] = copy.deepcopy(value)
        else:
            dst.insert(min(position, len(dst)), key, copy.deepcopy(value))


def _section(doc: CommentedMap, key: str) -> CommentedMap:
    if not isinstance(doc.get(key), CommentedMap):
        anchor = list(doc).index("bindings") + 1 if "bindings" in doc else len(doc)
        order = [k for k in INTENT_KEYS if k in doc or k == key]
        position = anchor + order.index(key)
        if key in doc:
            del doc[key]
        doc.insert(min(position, len(doc)), key, CommentedMap())
    section: CommentedMap = doc[key]
    return section


def _load(path: Path) -> tuple[str, CommentedMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(
            f"{path} does not exist -- fix: create it (see docs/fleet-format.md)"
        ) from None
    try:
        data = load_text(text)
    except YAMLError as exc:
        raise CommandError(
            f"{path} is not valid YAML ({exc.__class__.__name__}) -- fix: run `palfleet validate`"
        ) from None
    if not isinstance(data, CommentedMap):
        raise CommandError(f"{path} is not a mapping -- fix: run `palfleet validate`")
    return text, data


def _referenced(pals: list[Any], defaults: Any, section: str = "tools") -> set[str]:
    """The names of ``section`` (tools, guardrails, objectives) the PALs refer to."""
    names: set[str] = set()
    for node in [*pals, defaults]:
        options = node.get("palfleet") if isinstance(node, Mapping) else None
        value = options.get(REFERENCED[section]) if isinstance(options, Mapping) else None
        if isinstance(value, str):
            names.add(value)
        else:
            names.update(str(t) for t in value or [])
    return names


def missing_bindings(
    doc: Mapping[str, Any], source_bindings: Mapping[str, Any], stack: str, file: Path
) -> list[str]:
    """Every face, endpoint or logical secret name used by the intent and unbound in ``doc``."""
    bindings = doc.get("bindings") if isinstance(doc.get("bindings"), Mapping) else {}
    assert isinstance(bindings, Mapping)
    faces = set(bindings.get("faces") or {})
    endpoints = set(bindings.get("llm_endpoints") or {})
    documents = set(bindings.get("documents") or {})
    # layers.llm.endpoint is the API's field, a binding name only where the source binds it
    # (the old spelling of palfleet.llm_endpoint)
    source_endpoints = set(source_bindings.get("llm_endpoints") or {})
    secrets = set(bindings.get("secrets") or {})
    source_secrets = set(source_bindings.get("secrets") or {})
    problems: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if set(node) == {"secret"} and isinstance(node.get("secret"), str):
                name = str(node["secret"])
                if name in source_secrets and name not in secrets:
                    problems.append(
                        f"{path}: logical secret {name!r} is not bound in stack {stack} -- fix: "
                        f"add bindings.secrets.{name}: <pulumi config key> to {file}"
                    )
                return
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                if key == "face" and isinstance(value, str) and value not in faces:
                    problems.append(
                        f"{child}: face {value!r} is not bound in stack {stack} -- fix: add "
                        f"bindings.faces.{value}: <face id in {stack}> to {file}"
                    )
                elif (
                    (key == "llm_endpoint" and path.endswith("palfleet"))
                    or (
                        key == "endpoint"
                        and path.endswith("layers.llm")
                        and value in source_endpoints
                    )
                ) and value not in endpoints:
                    problems.append(
                        f"{child}: LLM endpoint {value!r} is not bound in stack {stack} -- fix: "
                        f"add bindings.llm_endpoints.{value} (base_url, api_key) to {file}"
                    )
                elif key == "documents" and path.endswith("palfleet") and isinstance(value, list):
                    problems.extend(
                        f"{child}: document {name!r} is not bound in stack {stack} -- fix: add "
                        f"bindings.documents.{name}: <document id in {stack}> to {file}"
                        for name in value
                        if name not in documents
                    )
                else:
                    walk(value, child)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}[{index}]")

    for key in INTENT_KEYS:
        walk(doc.get(key), key)
    return problems


def plan_promotion(options: PromoteOptions) -> Promotion:
    """The target's new text: the source's intent, the target's bindings, ids and comments."""
    if options.source == options.target:
        raise CommandError("SOURCE and TARGET are the same stack -- fix: name two stacks")
    _require_valid_source(options)
    source_file = options.root / options.source / "fleet.yaml"
    target_file = options.root / options.target / "fleet.yaml"
    _, source = _load(source_file)
    old_text, target = _load(target_file)
    before = to_plain(target)
    notes: list[str] = []
    names = _promoted_names(options, source, target)
    removals = _promote_pals(source, target, names, notes)
    if options.pals:
        _promote_referenced_tools(source, target, names, source_file)
        notes.append("--pal: defaults and the other PALs were not promoted")
    else:
        removals += _promote_defaults_and_tools(source, target)
    if removals and not options.allow_removal:
        raise CommandError(
            f"promotion would remove {', '.join(removals)} from {target_file} -- fix: re-run with "
            "--allow-removal if that is intended"
        )
    after = to_plain(target)
    problems = missing_bindings(after, before_bindings(source), options.target, target_file)
    if problems:
        raise CommandError(
            "the promoted intent refers to bindings the target lacks", details=problems
        )
    record = _check_independent_edits(options, before, after, notes)
    plain_source = to_plain(source)
    prints = {
        part: _part_fingerprint(plain_source, part)
        for part in _promoted_parts(options, names, after)
    }
    record["source_parts"] = {part: fp for part, fp in sorted(prints.items()) if fp is not None}
    new_text = dump_text(target) if after != before else old_text
    promoted = [name for name in names if name in (source.get("pals") or {})]
    return Promotion(old_text, new_text, record, notes, promoted)


def _promoted_parts(
    options: PromoteOptions, names: list[str], after: Mapping[str, Any]
) -> set[str]:
    pals = {f"pals.{name}" for name in names}
    if options.pals:
        promoted = [(after.get("pals") or {}).get(n) for n in names]
        return pals | {
            f"{section}.{name}"
            for section in REFERENCED
            for name in _referenced(promoted, None, section)
        }
    return pals | _parts(after)


def _require_valid_source(options: PromoteOptions) -> None:
    result = load_stack(options.source, options.root)
    if result.fleet is None or result.errors:
        raise CommandError(
            f"the source declaration (stack {options.source!r}) is invalid -- fix: run "
            f"`palfleet validate --stack {options.source}`",
            details=[f.render() for f in result.errors],
        )


def _promoted_names(
    options: PromoteOptions, source: CommentedMap, target: CommentedMap
) -> list[str]:
    """The PALs to promote: those named with --pal, else every PAL of either stack."""
    src_pals = source.get("pals") or {}
    dst_pals = target.get("pals") or {}
    names = list(options.pals) if options.pals else sorted(set(src_pals) | set(dst_pals))
    unknown = [n for n in names if n not in src_pals and n not in dst_pals]
    if unknown:
        raise CommandError(
            f"--pal {', '.join(unknown)}: no such PAL in stack {options.source} or "
            f"{options.target} -- fix: use logical names from pals:"
        )
    return names


def _promote_pals(
    source: CommentedMap, target: CommentedMap, names: list[str], notes: list[str]
) -> list[str]:
    """Copy the source's intent for ``names`` into the target (without adopt ids; the target
    keeps its own), in the source's order. Returns the removals it made."""
    src_pals = source.get("pals") or CommentedMap()
    dst_pals = _section(target, "pals")
    removals = [f"pals.{n}" for n in names if n not in src_pals]
    for name in names:
        if name not in src_pals:
            del dst_pals[name]
            continue
        desired = _without_adopt_id(src_pals[name])
        if to_plain(desired) != to_plain(src_pals[name]):
            notes.append(
                f"pals.{name}.palfleet.adopt_id was not promoted (pal ids differ per "
                "environment; use bindings.adopt_ids in each stack)"
            )
        own = ((dst_pals.get(name) or {}).get("palfleet") or {}).get("adopt_id")
        if own is not None:
            desired.setdefault("palfleet", CommentedMap())["adopt_id"] = own
        if name in dst_pals and isinstance(dst_pals[name], CommentedMap):
            sync(dst_pals[name], desired)
        else:
            dst_pals.insert(_insert_position(list(src_pals), dst_pals, name), name, desired)
    return removals


def _insert_position(source_order: list[str], dst_pals: CommentedMap, name: str) -> int:
    """Where a new PAL goes in the target: before the first PAL that follows it in the source."""
    later = [
        k
        for k in dst_pals
        if k in source_order and source_order.index(k) > source_order.index(name)
    ]
    return list(dst_pals).index(later[0]) if later else len(dst_pals)


def _promote_referenced_tools(
    source: CommentedMap, target: CommentedMap, names: list[str], source_file: Path
) -> None:
    """With --pal: the registry tools, guardrails and objective sets the promoted PALs use,
    and nothing else."""
    src_pals = source.get("pals") or CommentedMap()
    promoted = [src_pals[n] for n in names if n in src_pals]
    for section in REFERENCED:
        src = source.get(section) or CommentedMap()
        wanted = _referenced(promoted, None, section)
        missing = sorted(t for t in wanted if t not in src)
        if missing:
            raise CommandError(f"{section} {', '.join(missing)} are not declared in {source_file}")
        if not wanted:
            continue
        dst = _section(target, section)
        for name in sorted(wanted):
            if isinstance(dst.get(name), CommentedMap):
                sync(dst[name], src[name])
            else:
                dst[name] = copy.deepcopy(src[name])


def _promote_defaults_and_tools(source: CommentedMap, target: CommentedMap) -> list[str]:
    """The whole ``defaults``, ``tools``, ``guardrails`` and ``objectives`` sections. Returns
    the named objects it removes."""
    removals: list[str] = []
    for section in REFERENCED:
        src = source.get(section) or CommentedMap()
        removals += [f"{section}.{t}" for t in sorted(set(target.get(section) or {}) - set(src))]
    for key in ("defaults", *REFERENCED):
        if key in source and source[key] is not None:
            if isinstance(target.get(key), CommentedMap) and isinstance(source[key], Mapping):
                sync(target[key], source[key])
            else:
                _section(target, key)
                target[key] = copy.deepcopy(source[key])
        elif key in target:
            del target[key]
    return removals


def before_bindings(source: Mapping[str, Any]) -> Mapping[str, Any]:
    bindings = to_plain(source.get("bindings") or {})
    return bindings if isinstance(bindings, dict) else {}


def _parts(doc: Mapping[str, Any]) -> set[str]:
    parts = {"defaults"}
    for section in ("pals", *REFERENCED):
        parts.update(f"{section}.{n}" for n in (doc.get(section) or {}))
    return parts


def record_path(options: PromoteOptions) -> Path:
    return options.root / options.target / RECORD_NAME


def _check_independent_edits(
    options: PromoteOptions, before: Mapping[str, Any], after: Mapping[str, Any], notes: list[str]
) -> dict[str, Any]:
    path = record_path(options)
    record: dict[str, Any] = {}
    if path.is_file():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise CommandError(
                f"{path} is not valid JSON -- fix: delete it (the next promotion "
                "records afresh) or restore it from Git"
            ) from None
    recorded: dict[str, Any] = record.get("parts", {}) if isinstance(record, dict) else {}
    if not path.is_file():
        notes.append(
            f"no earlier promotion recorded in {path}: independent edits cannot be detected"
        )
    touched = sorted(
        p
        for p in _parts(before) | _parts(after)
        if _part_fingerprint(before, p) != _part_fingerprint(after, p)
    )
    edited = [p for p in touched if p in recorded and recorded[p] != _part_fingerprint(before, p)]
    if edited and not options.force:
        raise CommandError(
            f"{', '.join(edited)} in stacks/{options.target}/fleet.yaml changed since the last "
            f"promotion (from {record.get('source', '?')}), and promoting would overwrite that "
            f"edit -- fix: bring the change into {options.source} first, or re-run with --force"
        )
    if edited:
        notes.append(f"--force: overwriting independent edits of {', '.join(edited)}")
    promoted_parts = touched if options.pals else sorted(_parts(before) | _parts(after))
    new_parts = dict(recorded)
    for part in promoted_parts:
        new_parts[part] = _part_fingerprint(after, part)
    return {"source": options.source, "parts": dict(sorted(new_parts.items()))}


def unified(promotion: Promotion, target_file: Path) -> str:
    return "".join(
        difflib.unified_diff(
            promotion.old_text.splitlines(keepends=True),
            promotion.new_text.splitlines(keepends=True),
            fromfile="a/" + target_file.as_posix().lstrip("/"),
            tofile="b/" + target_file.as_posix().lstrip("/"),
        )
    )


def run_promote(options: PromoteOptions) -> CommandOutput:
    target_file = options.root / options.target / "fleet.yaml"
    try:
        check_format(options.fmt)
        promotion = plan_promotion(options)
        verification = verify_source(options, promotion)
        promotion.record["verification"] = verification.record()
        promotion.notes.append(verification.note())
        problems = validate_text(options.target, promotion.new_text) if promotion.changed else []
        if problems:
            raise CommandError(
                f"after promotion {target_file} would not validate -- fix the source or the "
                "target's bindings first",
                details=problems,
            )
    except CommandError as exc:
        shown = error_document("promote", exc) if options.fmt == "json" else ""
        return CommandOutput(shown, exc.render(), EXIT_ERROR)
    outcome = _apply(options, promotion, target_file)
    if options.fmt == "json":
        body = document(
            "palfleet.promote/1",
            source=options.source,
            target=options.target,
            ok=outcome.code != EXIT_ERROR,
            changed=promotion.changed,
            written=outcome.written,
            diff=unified(promotion, target_file) if promotion.changed else "",
            notes=[*promotion.notes, *outcome.messages],
            record=promotion.record,
        )
        return CommandOutput(body, "", outcome.code)
    notes = "".join(f"note: {n}\n" for n in promotion.notes)
    messages = "".join(f"{m}\n" for m in outcome.messages)
    diff = unified(promotion, target_file) if promotion.changed else ""
    stdout = diff if promotion.changed else messages
    stderr = notes + (messages if promotion.changed else "")
    return CommandOutput(stdout, stderr, outcome.code)


@dataclass(frozen=True)
class _Outcome:
    code: int
    written: bool
    messages: list[str]


def _apply(options: PromoteOptions, promotion: Promotion, target_file: Path) -> _Outcome:
    """Write the promotion when asked; what happened, as messages and an exit code."""
    if not promotion.changed:
        if options.write:
            _write_record(options, promotion)
        return _Outcome(EXIT_OK, False, [f"nothing to promote: {target_file} already matches"])
    if not options.write:
        return _Outcome(EXIT_CHANGES, False, ["dry run: re-run with --write to apply"])
    target_file.write_text(promotion.new_text, encoding="utf-8")
    _write_record(options, promotion)
    result = load_stack(options.target, options.root)
    if result.errors:
        found = [f"  {f.render()}" for f in result.errors]
        return _Outcome(EXIT_ERROR, True, [f"palfleet: {target_file} does not validate:", *found])
    return _Outcome(EXIT_OK, True, [f"wrote {target_file} and {record_path(options)}"])


@dataclass(frozen=True)
class Verification:
    """Whether the promoted PALs and tools are applied and unchanged in the source account."""

    verified: bool
    source: str
    account: str | None = None
    pals: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        if not self.verified:
            return {"verified": False, "reason": "--unverified"}
        return {
            "verified": True,
            "source": self.source,
            "account": self.account,
            "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "pals": list(self.pals),
            "tools": list(self.tools),
        }

    def note(self) -> str:
        if not self.verified:
            return (
                f"--unverified: not checked that the promoted intent runs in {self.source}'s "
                "account (the record says so)"
            )
        return (
            f"verified: {len(self.pals)} PAL(s) and {len(self.tools)} tool(s) are applied and "
            f"unchanged in {self.source}'s account ({self.account})"
        )


def verify_source(options: PromoteOptions, promotion: Promotion) -> Verification:
    """Compare the source's declaration with its live account, as ``plan`` does; raise
    :class:`CommandError` naming every promoted PAL or tool that never ran or has drifted."""
    if not options.verify:
        return Verification(False, options.source)
    declared = load_declared(options.source, options.root).fleet
    pals = sorted(name for name in promotion.pals if name in declared.pals)
    tools = sorted({tool for name in pals for tool in declared.pals[name].tool_names})
    try:
        comparison = compare_stack(
            PlanOptions(
                stack=options.source,
                root=options.root,
                api_key_env=options.api_key_env,
                api_base_url=options.api_base_url,
                progress=False,
            )
        ).comparison
    except CommandError as exc:
        raise CommandError(
            f"cannot verify that the promoted intent runs in {options.source}: {exc.message} "
            "-- fix: give the source account's key (--api-key-env) and URL, or pass --unverified",
            details=exc.details,
        ) from None
    problems: list[str] = []
    for pal in comparison.pals:
        if pal.logical_name not in pals:
            continue
        where = f"pals.{pal.logical_name}"
        if pal.action == "create":
            problems.append(f"{where}: never applied in {options.source} (no live PAL matches it)")
        elif pal.blocked:
            problems.append(
                f"{where}: cannot be matched in {options.source}'s account ({pal.action})"
            )
        elif pal.changed:
            paths = sorted({to_dotted(change.path) for change in pal.changes})
            pending = [
                *paths,
                *(f"attach {t}" for t in pal.attach),
                *(f"detach {t}" for t in pal.detach),
            ]
            pending += [f"migrate {m.name}" for m in pal.migrate]
            problems.append(
                f"{where}: the live PAL {pal.pal_id} in {options.source} differs from the "
                f"declaration ({', '.join(pending)}): apply it there, or it drifted"
            )
    for tool in comparison.tools:
        if tool.name in tools and tool.action != "unchanged":
            state = "never applied" if tool.action == "create" else "differs from the declaration"
            problems.append(f"tools.{tool.name}: {state} in {options.source}")
    used = {("guardrail", g) for name in pals for g in declared.pals[name].guardrail_names}
    used |= {
        ("objectives", o) for name in pals if (o := declared.pals[name].objectives_name) is not None
    }
    for record in comparison.records:
        if (record.kind, record.name) in used and record.action != "unchanged":
            section = "guardrails" if record.kind == "guardrail" else "objectives"
            state = "never applied" if record.action == "create" else "differs from the declaration"
            problems.append(f"{section}.{record.name}: {state} in {options.source}")
    if problems:
        raise CommandError(
            f"refusing to promote what did not run in {options.source} -- fix: `pulumi up` "
            f"stack {options.source} (then re-run), or pass --unverified",
            details=problems,
        )
    account = base_url_for(
        options.source, options.root, declared.api_base_url, options.api_base_url
    )
    return Verification(True, options.source, account, tuple(pals), tuple(tools))


def _write_record(options: PromoteOptions, promotion: Promotion) -> None:
    path = record_path(options)
    path.write_text(json.dumps(promotion.record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
