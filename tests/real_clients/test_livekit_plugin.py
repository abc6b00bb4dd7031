"""The LiveKit Tavus plugin (``livekit-plugins-tavus`` 1.8.9), unchanged, against the emulator:
its PAL, persona and conversation calls (what an agent's ``AvatarSession`` runs)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from pal_emulator.testing import RunningEmulator

from .conftest import Ran

FLOW = """
import asyncio, json, os
import aiohttp
from livekit.plugins.tavus.api import TavusAPI

async def main():
    async with aiohttp.ClientSession() as session:
        api = TavusAPI(os.environ["EMULATOR_KEY"], os.environ["EMULATOR_URL"], session=session)
        pal_id = await api.create_pal("lk-pal", default_face_id="r4067604db72")
        persona_id = await api.create_persona("lk-persona")
        own = await api.create_conversation(pal_id=pal_id)
        stock = await api.create_conversation()
        legacy = await api.create_conversation(persona_id=persona_id, replica_id="rfe12d8b9597")
        print(json.dumps({"pal_id": pal_id, "persona_id": persona_id,
                          "conversations": [own, stock, legacy]}))

asyncio.run(main())
"""


def test_the_plugins_whole_flow(
    client_python: Callable[[str], Ran], emulator: RunningEmulator
) -> None:
    ran = client_python(FLOW)
    assert ran.code == 0, ran.stdout + ran.stderr
    made = json.loads(ran.stdout.strip().splitlines()[-1])
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers) as api:
        pal = api.get(f"/pals/{made['pal_id']}").json()
        assert pal["pipeline_mode"] == "echo"
        assert pal["layers"]["transport"] == {"transport_type": "livekit"}
        persona = api.get(f"/personas/{made['persona_id']}").json()
        assert persona["persona_name"] == "lk-persona" and "default_replica_id" not in persona
        own, stock, legacy = (api.get(f"/conversations/{c}").json() for c in made["conversations"])
    assert own["pal_id"] == made["pal_id"] and own["face_id"] == "r4067604db72"
    assert stock["pal_id"] == "pb87e71797da" and stock["face_id"] == "r4067604db72"
    assert legacy["pal_id"] == made["persona_id"] and legacy["face_id"] == "rfe12d8b9597"
    assert all(c["status"] == "active" for c in (own, stock, legacy))
