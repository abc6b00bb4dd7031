"""Pulumi program entry point: reconcile the fleet declared in stacks/<stack>/fleet.yaml."""

from pathlib import Path

from pal_provider.program import run

run(Path(__file__).resolve().parent)
