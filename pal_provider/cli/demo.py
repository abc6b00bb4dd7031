"""`palfleet demo`: start the emulator and reconcile the `dev` stack against it.

Shows a whole cycle: create the fleet, a no-op run, a dashboard edit caught by refresh,
and the update that reverts it. Uses the real `pulumi` CLI when it is installed (local
file backend, passphrase secrets provider); otherwise palfleet's engine stand-in, and
says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import typer

from pal_provider.cli.companions import companion

STACK = "dev"
DEMO_API_KEY = "demo-key"
DEMO_PASSPHRASE = "palfleet-demo"
API_KEY_CONFIG = "palfleet:tavusApiKey"


def _say(text: str) -> None:
    typer.secho(f"\n== {text}", fg=typer.colors.CYAN, bold=True)


def _load_dev_stack(project: Path) -> Any:
    from pal_provider.declaration import load_stack

    result = load_stack(STACK, project / "stacks")
    if result.fleet is None or not result.ok:
        for finding in result.findings:
            typer.echo(finding.render(), err=True)
        raise typer.Exit(1)
    return result.fleet


def demo_secrets(fleet: Any) -> dict[str, str]:
    """A made-up value for every secret the dev declaration refers to (the emulator stores
    and masks them; they are not credentials), keyed by Pulumi config key."""
    from pal_provider.core.masking import secret_refs
    from pal_provider.declaration import resolve_fleet

    resolved = resolve_fleet(fleet, STACK)
    bodies = [pal.body for pal in resolved.pals.values()]
    bodies += [tool.body for tool in resolved.tools.values()]
    keys = {key for body in bodies for key in secret_refs(body).values()}
    return {key: f"demo-{key.partition(':')[2] or key}" for key in sorted(keys)}


def _seed_faces(control: Any, fleet: Any) -> None:
    faces = [{"face_id": fid, "face_name": name} for name, fid in fleet.bindings.faces.items()]
    control.seed(faces=faces)


def _first_pal_id(control: Any, base_url: str, pal_name: str) -> str:
    import httpx

    response = httpx.get(
        f"{base_url}/pals", params={"limit": 100}, headers={"x-api-key": DEMO_API_KEY}
    )
    response.raise_for_status()
    for pal in response.json()["data"]:
        if pal.get("pal_name") == pal_name:
            return str(pal["pal_id"])
    raise typer.Exit(1)


def _run_stand_in(
    project: Path, workdir: Path, base_url: str, control: Any, secrets: dict[str, str]
) -> int:
    Engine = companion("pal_engine").Engine

    typer.secho(
        "The Pulumi CLI is not installed: using palfleet's engine stand-in, which drives the same "
        "dynamic provider over gRPC as `pulumi up` would. Install the CLI for the real thing.",
        fg=typer.colors.YELLOW,
    )
    engine = Engine(
        project,
        STACK,
        workdir / f"{STACK}.checkpoint.json",
        {"palfleet:apiBaseUrl": base_url, API_KEY_CONFIG: DEMO_API_KEY, **secrets},
        secret_config_keys={API_KEY_CONFIG, *secrets},
        passphrase=DEMO_PASSPHRASE,
    )

    def step(title: str, action: str) -> bool:
        _say(title)
        control.clear_requests()
        result = getattr(engine, action)()
        typer.echo(result.render())
        counts = control.requests().by_template()
        summary = ", ".join(f"{n} x {k}" for k, n in sorted(counts.items())) or "none"
        typer.echo(f"API requests: {summary}")
        return bool(result.ok)

    ok = step("1/5 pulumi up: create the dev fleet", "up")
    ok = ok and step("2/5 pulumi preview: nothing to do", "preview")
    if ok:
        _say("3/5 a teammate edits the Wellness Coach's greeting in the dashboard")
        pal_id = _first_pal_id(control, base_url, "Wellness Coach")
        control.edit_pal(pal_id, {"greeting": "Edited by hand in the dashboard"})
        typer.echo(f"PAL {pal_id}: greeting changed out of band")
    ok = ok and step("4/5 pulumi refresh: the drift is reported", "refresh")
    ok = ok and step("5/5 pulumi up: the declaration wins again (one PATCH)", "up")
    return 0 if ok else 1


def _run_pulumi_cli(
    project: Path, workdir: Path, base_url: str, control: Any, secrets: dict[str, str]
) -> int:
    state = workdir / "state"
    state.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }

    def pulumi(*args: str) -> int:
        typer.echo(f"$ pulumi {' '.join(args)}")
        return subprocess.call(["pulumi", *args], cwd=project, env=env)

    if pulumi("stack", "select", STACK, "--create") != 0:
        return 1
    pulumi("config", "set", "palfleet:apiBaseUrl", base_url)
    for key, value in {API_KEY_CONFIG: DEMO_API_KEY, **secrets}.items():
        pulumi("config", "set", "--secret", key, value)
    _say("1/4 pulumi up: create the dev fleet")
    if pulumi("up", "--yes") != 0:
        return 1
    _say("2/4 pulumi preview: nothing to do")
    if pulumi("preview", "--expect-no-changes") != 0:
        return 1
    _say("3/4 a teammate edits the Wellness Coach's greeting in the dashboard")
    control.edit_pal(
        _first_pal_id(control, base_url, "Wellness Coach"), {"greeting": "Edited by hand"}
    )
    _say("4/4 pulumi up --refresh: drift reported and reverted")
    return pulumi("up", "--refresh", "--yes")


def demo(
    project: Path = typer.Option(Path("."), help="The palfleet project directory."),
    stand_in: bool = typer.Option(
        False, "--stand-in", help="Use the engine stand-in even if the pulumi CLI is installed."
    ),
    keep: bool = typer.Option(
        False, "--keep", help="Keep the emulator data and state of an earlier demo run."
    ),
    port: int = typer.Option(0, help="Emulator port (0 picks a free one)."),
) -> None:
    """Start the local emulator and reconcile the dev stack against it."""
    # Ctrl-C must unwind (stopping the emulator this command started), not exit at once.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    process = companion("pal_emulator.process")

    project = project.resolve()
    workdir = project / ".palfleet" / "demo"
    if workdir.exists() and not keep:
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    try:
        emulator = process.start_emulator(
            api_key=DEMO_API_KEY, db=workdir / "emulator.db", port=port
        )
    except process.EmulatorStartError as exc:
        # The emulator's own one-line reason (a port in use names the port and the fix).
        reason = str(exc).split(": ", 1)[-1].strip().splitlines()[-1]
        typer.echo(f"palfleet: the emulator did not start: {reason}", err=True)
        raise typer.Exit(1) from None
    try:
        typer.echo(f"PAL API emulator: {emulator.base_url} (data in {workdir / 'emulator.db'})")
        control = emulator.control()
        fleet = _load_dev_stack(project)
        _seed_faces(control, fleet)
        use_cli = shutil.which("pulumi") is not None and not stand_in
        runner = _run_pulumi_cli if use_cli else _run_stand_in
        code = runner(project, workdir, emulator.base_url, control, demo_secrets(fleet))
    finally:
        emulator.stop()
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
