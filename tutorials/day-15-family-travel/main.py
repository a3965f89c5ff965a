"""Day 15 — Family travel planner: a CrewAI crew plans for everyone; each member's AutoGen concierge recalls.

    python tutorials/day-15-family-travel/main.py

The Silva family is going to Lisbon. Each member tells the Travel Concierge (agent card
`day-15-travel-concierge`, an AutoGen `AssistantAgent` with `AstrocyteMemory`) something for their ears only:
it goes to that member's private bank. The Trip Planner (agent card `day-15-trip-planner`), a CrewAI crew with
`AstrocyteMemory`, drafts the itinerary, which CrewAI saves to the family's shared bank. Then each member asks
their concierge about Saturday: the concierge acts on behalf of that member, so it recalls the family's plan and
that member's private notes, and never another member's (Ben's surprise for Ana stays a surprise).

Offline by default (deterministic stand-ins that quote, not language models); set ASTROCYTE_LLM_MODEL to any
LiteLLM model name, with its API key, for real ones.
"""

from __future__ import annotations

import os

os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import MemoryQueryEvent
from autogen_core.memory import MemoryContent, MemoryMimeType
from crewai import Agent, Crew, Task

from astrocyte import AccessDenied, AgentMemory, Astrocyte, ScopedMemory
from astrocyte_autogen import AstrocyteMemory as ConciergeMemory
from astrocyte_autogen import model_client_from_env
from astrocyte_crewai import AstrocyteMemory as CrewMemory
from astrocyte_crewai import llm_from_env

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
BINDINGS = CARDS / "bindings.yaml"
DATA = Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-15-"))
FAMILY = "family-silva"

PRIVATE: dict[str, str] = {
    "ana": "Ana wants a window seat on the flight home and a quiet room away from the lift.",
    "ben": (
        "Ben booked a surprise fado dinner for Ana's birthday on Saturday evening at Tasca do Chico; keep it from Ana."
    ),
    "leo": "Leo would rather go surfing in Carcavelos on Saturday afternoon than see another museum.",
}
WISHES = (
    "Itinerary for the Silva family in Lisbon. "
    "Saturday morning: the Belem Tower, then custard tarts at Pasteis de Belem by the river. "
    "Saturday afternoon: tram 28 through Alfama up to the castle. "
    "Saturday evening: a free evening, everyone chooses. "
    "Sunday: a day trip to Sintra for the Pena Palace and the Moorish castle, back on the six o'clock train."
)
QUESTION = "What are we doing on Saturday evening?"


def config() -> dict[str, Any]:
    return {
        "data_dir": str(DATA / "memory"),
        "access": {
            "enabled": True,
            "grants": [
                {"principal": "user:*", "banks": [FAMILY], "permissions": ["read"]},
                {"principal": "user:*", "banks": ["private-{principal_id}"], "permissions": ["read", "write"]},
            ],
        },
    }


def short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def for_member(concierge: AgentMemory, member: str) -> ScopedMemory:
    """The concierge acting on behalf of one member: writes their private bank, reads it and the family's."""
    context = concierge.context.model_copy(update={"on_behalf_of": f"user:{member}"})
    return concierge.brain.scoped(f"private-{member}", context=context, banks=[FAMILY, f"private-{member}"])


async def tell_privately(concierge: AgentMemory) -> None:
    print(f"Each member tells the AutoGen concierge ({concierge.resolution.principal}) something private:")
    for member, note in PRIVATE.items():
        memory = ConciergeMemory(for_member(concierge, member))
        await memory.add(MemoryContent(content=note, mime_type=MemoryMimeType.TEXT, metadata={"member": member}))
        await memory.close()
        print(f"  {member:3} -> private-{member}: {note}")


async def plan(brain: Astrocyte) -> str:
    planner = await brain.for_agent(CARDS / "day-15-trip-planner.json", bindings=BINDINGS)
    agent = Agent(
        role="Trip Planner",
        goal="Turn the family's wishes into a day-by-day itinerary everyone can follow",
        backstory="Plans family holidays with time to rest.",
        llm=llm_from_env(),
    )
    task = Task(
        description=WISHES,
        expected_output="The itinerary for Saturday and Sunday, one line per part of the day.",
        agent=agent,
    )
    print(f"\nThe CrewAI planning crew ({planner.resolution.principal}) drafts the itinerary:")
    crew = Crew(agents=[agent], tasks=[task], memory=CrewMemory(planner, llm=llm_from_env()))
    itinerary = (await crew.akickoff()).raw
    print(f"  {itinerary}")
    saved = await brain.list(FAMILY, context=planner.context)
    print(f"  CrewAI saved it to {FAMILY} ({len(saved)} memory, by {saved[-1].source})")
    return itinerary


async def ask(concierge: AgentMemory, member: str) -> set[str]:
    memory = ConciergeMemory(for_member(concierge, member), max_results=3)
    assistant = AssistantAgent(
        "concierge",
        model_client=model_client_from_env(),
        memory=[memory],
        system_message=f"You are {member.capitalize()}'s travel concierge. Answer from the family's plans and theirs.",
    )
    result = await assistant.run(task=QUESTION)
    recalled = next(event for event in result.messages if isinstance(event, MemoryQueryEvent)).content
    print(f"\n{member} asks: {QUESTION}")
    for content in recalled:
        meta = content.metadata or {}
        print(f"  recalled [{meta['bank_id']}] ({meta['score']:.2f}) {short(str(content.content))}")
    print(f"  concierge: {result.messages[-1].to_text()}")
    await memory.close()
    return {(content.metadata or {})["bank_id"] for content in recalled}


async def main() -> None:
    async with Astrocyte(config()) as brain:
        concierge = await brain.for_agent(CARDS / "day-15-travel-concierge.json", bindings=BINDINGS)
        await tell_privately(concierge)
        await plan(brain)
        seen = {member: await ask(concierge, member) for member in PRIVATE}
        snooping = ConciergeMemory(brain, bank_id="private-ben", context=for_member(concierge, "ana").context)
        try:
            await snooping.query("Saturday evening")
        except AccessDenied as denied:
            print(f"\nAna's concierge reading private-ben is refused: {denied}")
        else:
            raise SystemExit("Ana's concierge could read Ben's private notes")
        finally:
            await snooping.close()
    each_sees_own = all(FAMILY in banks and banks <= {FAMILY, f"private-{member}"} for member, banks in seen.items())
    if not each_sees_own:
        raise SystemExit("a concierge did not recall the family plan and its member's own notes, or saw another's")
    print(
        "\nPROOF: each member's AutoGen concierge recalled the CrewAI crew's itinerary from the family bank "
        "and only that member's private notes"
    )


if __name__ == "__main__":
    asyncio.run(main())
