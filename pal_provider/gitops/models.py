"""``palfleet models``: the hosted-model catalog as a table, and ``models upgrade``, which
moves every PAL and default off a deprecated (or retired) model to its replacement.

The upgrade edits the model values in place, token by token, so comments, quoting, key
order and indentation of ``fleet.yaml`` stay exactly as written; the round-trip parser only
says where each value is.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pal_provider.declaration import catalog, discover_stacks, load_stack, resolve_fleet
from pal_provider.declaration.loader import fleet_path
from pal_provider.declaration.pal_rules import PROMPT_CHARS_PER_TOKEN, PROMPT_TOKENS_ADVISED
from pal_provider.gitops.yamlio import load_text

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _width(text: str) -> int:
    """Terminal columns: the rating symbols are wide (two columns each)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _rating(value: int | None, symbol: str) -> str:
    return symbol * value if value else "-"


def render_catalog(models: catalog.Catalog, fmt: str) -> str:
    """The catalog as the documentation's table presents it, plus status and ceiling."""
    rows = sorted(models.models.values(), key=lambda m: (m.status == "retired", m.id))
    if fmt == "json":
        return (
            json.dumps(
                {
                    "default_model": models.default_model,
                    "files": list(models.files),
                    "models": [m.model_dump(exclude_none=True) for m in rows],
                },
                indent=2,
            )
            + "\n"
        )
    header = (
        "model",
        "speed",
        "intelligence",
        "naturalness",
        "best for",
        "status",
        "replacement",
        "context ceiling",
        "status from",
    )
    table = [header] + [
        (
            m.id + (" (default)" if m.id == models.default_model else ""),
            _rating(m.speed, "⚡"),
            _rating(m.intelligence, "🧠"),
            _rating(m.naturalness, "💬"),
            m.best_for or "-",
            m.status,
            m.replacement or "-",
            f"{m.prompt_token_ceiling:,} tokens" if m.prompt_token_ceiling else "-",
            m.source,
        )
        for m in rows
    ]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "Prompts: best under about 5,000 tokens (20,000 characters); speed and instruction "
        "following degrade from 15,000-20,000."
    )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ModelMove:
    where: str  # dotted path in fleet.yaml
    line: int  # 1-based
    old: str
    new: str


@dataclass
class StackUpgrade:
    stack: str
    file: Path
    before: str
    after: str
    moves: list[ModelMove] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{self.file}",
                tofile=f"b/{self.file}",
            )
        )


def _llm(node: Any) -> Any:
    layers = node.get("layers") if isinstance(node, dict) else None
    llm = layers.get("llm") if isinstance(layers, dict) else None
    return llm if isinstance(llm, dict) else None


def _model_nodes(document: Any) -> list[tuple[str, str | None, Any]]:
    """(dotted path, PAL name or None for defaults, the llm mapping) of every declared model."""
    found: list[tuple[str, str | None, Any]] = []
    defaults = document.get("defaults") if isinstance(document, dict) else None
    llm = _llm(defaults)
    if llm is not None and isinstance(llm.get("model"), str):
        found.append(("defaults.layers.llm.model", None, llm))
    pals = document.get("pals") if isinstance(document, dict) else None
    for name, pal in (pals or {}).items() if isinstance(pals, dict) else ():
        llm = _llm(pal)
        if llm is not None and isinstance(llm.get("model"), str) and not _custom_pal(pal, llm):
            found.append((f"pals.{name}.layers.llm.model", str(name), llm))
    return found


def _custom(llm: Any) -> bool:
    """A resolved LLM layer on a custom LLM."""
    return "base_url" in llm


def _custom_pal(pal: Any, llm: Any) -> bool:
    """A declared PAL on a custom LLM: its own base_url, a binding (palfleet.llm_endpoint), or
    the old spelling of one (layers.llm.endpoint)."""
    options = pal.get("palfleet") if isinstance(pal, dict) else None
    bound = isinstance(options, dict) and options.get("llm_endpoint") is not None
    return bound or "base_url" in llm or "endpoint" in llm


def _replace_token(lines: list[str], line: int, col: int, old: str, new: str) -> bool:
    text = lines[line]
    quote = text[col] if col < len(text) and text[col] in "'\"" else ""
    token = f"{quote}{old}{quote}"
    if text[col : col + len(token)] != token:
        return False
    lines[line] = text[:col] + f"{quote}{new}{quote}" + text[col + len(token) :]
    return True


def replacement_for(model: str) -> str | None:
    """The usable model a deprecated or retired one moves to, following replacements that are
    themselves deprecated; None when ``model`` is usable (or has no replacement)."""
    seen = {model}
    info = catalog.lookup(model)
    target: str | None = None
    while info is not None and info.status in ("deprecated", "retired") and info.replacement:
        target = info.replacement
        if target in seen:
            break
        seen.add(target)
        info = catalog.lookup(target)
    return target


def plan_upgrade(stack: str, root: Path) -> StackUpgrade:
    file = fleet_path(stack, root)
    before = file.read_text(encoding="utf-8")
    upgrade = StackUpgrade(stack=stack, file=file, before=before, after=before)
    loaded = load_stack(stack, root)  # also makes the project's catalog the one in use
    if loaded.fleet is None or loaded.errors:
        upgrade.problems = [finding.render() for finding in loaded.errors]
        return upgrade
    document = load_text(before)
    lines = before.splitlines(keepends=True)
    new_default: str | None = None
    new_models: dict[str, str] = {}
    nodes = _model_nodes(document)
    for where, pal, llm in nodes:
        model = str(llm["model"])
        target = replacement_for(model)
        if target is None:
            continue
        line, col = llm.lc.value("model")
        if not _replace_token(lines, line, col, model, target):
            upgrade.problems.append(
                f"{file}:{line + 1}: {where}: could not rewrite {model!r} in place; change it "
                f"to {target!r} by hand"
            )
            continue
        upgrade.moves.append(ModelMove(where, line + 1, model, target))
        if pal is None:
            new_default = target
        else:
            new_models[pal] = target
    upgrade.after = "".join(lines)
    if new_default is not None:
        own_model = {name for _, name, _ in nodes if name is not None}
        for name in loaded.fleet.pals:
            if name not in own_model:
                new_models[name] = new_default
    upgrade.flags = _prompt_flags(loaded.fleet, stack, new_models)
    return upgrade


def _prompt_flags(fleet: Any, stack: str, new_models: dict[str, str]) -> list[str]:
    """PALs whose prompt the new model's ceiling, or the 5,000-token guidance, now exceeds."""
    flags: list[str] = []
    resolved = resolve_fleet(fleet, stack)
    for name, model in new_models.items():
        body = resolved.pals[name].body
        if _custom((body.get("layers") or {}).get("llm") or {}):
            continue  # a custom LLM: the hosted model's ceiling does not apply
        info = catalog.lookup(model)
        chars = len(str(body.get("system_prompt") or "")) + len(str(body.get("context") or ""))
        tokens = chars // PROMPT_CHARS_PER_TOKEN
        ceiling = info.prompt_token_ceiling if info is not None else None
        if ceiling is not None and tokens > ceiling:
            flags.append(
                f"pals.{name}: system_prompt + context is about {tokens:,} tokens, above "
                f"{model}'s {ceiling:,} token ceiling: shorten it or move material to documents"
            )
        elif tokens > PROMPT_TOKENS_ADVISED:
            flags.append(
                f"pals.{name}: system_prompt + context is about {tokens:,} tokens, above the "
                f"advised {PROMPT_TOKENS_ADVISED:,} for {model}"
            )
    return flags


@dataclass(frozen=True)
class UpgradeOutput:
    stdout: str
    stderr: str
    exit_code: int


def run_upgrade(stacks: list[str] | None, root: Path, write: bool, fmt: str) -> UpgradeOutput:
    names = stacks if stacks is not None else discover_stacks(root)
    if not names:
        return UpgradeOutput(
            "", f"palfleet: no stacks under {root} -- fix: pass --root or --stack\n", EXIT_ERROR
        )
    upgrades = [plan_upgrade(name, root) for name in names]
    problems = [problem for upgrade in upgrades for problem in upgrade.problems]
    if write and not problems:
        for upgrade in upgrades:
            if upgrade.moves:
                upgrade.file.write_text(upgrade.after, encoding="utf-8")
    moves = sum(len(upgrade.moves) for upgrade in upgrades)
    code = EXIT_ERROR if problems else EXIT_CHANGES if moves and not write else EXIT_OK
    if fmt == "json":
        body = {
            "written": write and not problems,
            "stacks": [
                {
                    "stack": u.stack,
                    "file": str(u.file),
                    "moves": [m.__dict__ for m in u.moves],
                    "prompt_flags": u.flags,
                    "problems": u.problems,
                }
                for u in upgrades
            ],
        }
        return UpgradeOutput(json.dumps(body, indent=2) + "\n", "", code)
    out: list[str] = []
    for upgrade in upgrades:
        out.append(upgrade.diff())
        out += [f"WARNING: {flag}" for flag in upgrade.flags]
    if not moves:
        out.append("No PAL or default is on a deprecated model.\n")
    elif write and not problems:
        out.append(f"Moved {moves} model value(s); review the diff above and commit it.\n")
    else:
        out.append(f"{moves} model value(s) to move; run again with --write to apply.\n")
    err = "".join(f"palfleet: {problem}\n" for problem in problems)
    return UpgradeOutput("\n".join(part.rstrip("\n") for part in out if part) + "\n", err, code)
