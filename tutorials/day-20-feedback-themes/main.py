"""Day 20 — Product feedback themes.

    python tutorials/day-20-feedback-themes/main.py

A product manager's agent and a designer's agent, two principals bound by their A2A cards, file user feedback
into one shared product bank: 164 items from support tickets, sales calls and NPS comments through CrewAI's
memory API, 102 from usability sessions and diary studies through the core API (generated deterministically
from templates). The designer's LlamaIndex retriever sizes the candidate themes over the whole bank and her
query engine answers from it; the PM's CrewAI synthesis crew writes up the top themes. Both read what the
other filed. The designer may read and write the bank but not forget from it: her attempt to delete the PM's
items is refused.

Offline by default (deterministic stand-ins, not language models); with ASTROCYTE_LLM_MODEL set, the crew and
the query engine use that model.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")

from crewai import Agent, Crew, Task
from crewai.events.event_bus import crewai_event_bus
from llama_index.core.query_engine import RetrieverQueryEngine

from astrocyte import AccessDenied, AgentMemory, Astrocyte, ScopedMemory
from astrocyte_crewai import AstrocyteMemory, llm_from_env
from astrocyte_llamaindex import AstrocyteRetriever
from astrocyte_llamaindex import llm_from_env as query_llm_from_env

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
BINDINGS = CARDS / "bindings.yaml"
DATA = Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-20-"))
TENANT = "orbit"
PRODUCT_BANK = f"product-feedback/{TENANT}"
RELEVANT = 0.15
"""The score above which a recalled item counts as evidence for a theme (offline, matches score 0.18 and up)."""

# theme: (items the PM's channels bring, items the designer's research brings, probe query, phrasings)
THEMES: dict[str, tuple[int, int, str, list[str]]] = {
    "CSV export": (34, 22, "export to CSV", [
        "I need to export the monthly report to CSV for finance.",
        "There is no way to export a board as a CSV file.",
        "Exporting tasks to CSV drops the custom fields.",
        "Could not find the export button to get a CSV.",
        "We copy tables by hand because CSV export is missing.",
    ]),
    "slow search": (28, 10, "search is slow", [
        "Search takes ten seconds on a big workspace.",
        "Searching for a task name is painfully slow.",
        "Search results load slowly and often time out.",
        "The search box freezes while it looks for matches.",
    ]),
    "confusing onboarding": (12, 30, "onboarding is confusing", [
        "Onboarding did not explain what a board is.",
        "The onboarding checklist was confusing and I skipped it.",
        "New teammates get lost during onboarding.",
        "I did not understand the onboarding tour at all.",
    ]),
    "too many notifications": (18, 14, "too many notifications", [
        "I get too many notifications for every comment.",
        "Email notifications flood my inbox every morning.",
        "There is no way to mute notifications for one project.",
        "Notification settings are hard to find, so I turned them all off.",
    ]),
    "dark mode": (10, 6, "dark mode", [
        "Please add a dark mode for late-night work.",
        "The white theme hurts my eyes; a dark mode would help.",
        "Dark mode is the one thing keeping me on the old tool.",
    ]),
    "mobile crashes": (20, 4, "mobile app crashes", [
        "The mobile app crashes when I open attachments.",
        "The iOS app crashed twice while I was adding a task.",
        "The Android app crashes on startup after the update.",
    ]),
    "pricing for small teams": (24, 0, "price for small teams", [
        "The price per seat is too high for a team of three.",
        "Small teams cannot justify the monthly price.",
        "We would pay for a cheaper plan for small teams.",
    ]),
    "low contrast": (2, 16, "low contrast text", [
        "The grey text has too little contrast to read.",
        "Low contrast labels are hard to see on a laptop screen.",
        "Buttons have poor contrast for colour-blind users.",
    ]),
}  # fmt: skip
PRAISE = [
    "The new timeline view is lovely.",
    "Thanks for the quick support reply.",
    "Keyboard shortcuts save me a lot of time.",
    "The calendar integration works well.",
]
PM_CHANNELS = ("support ticket", "sales call", "NPS comment")
DESIGN_CHANNELS = ("usability session", "diary study")
SEGMENTS = ("agency", "startup", "enterprise", "nonprofit", "school")


def config() -> dict[str, Any]:
    # Entities by the offline heuristic even with a real model: no model call for each of 266 short items.
    return {
        "data_dir": str(DATA / "memory"),
        "access": {"enabled": True},
        "pipeline": {"entities": {"mode": "heuristic"}},
    }


def feedback(seed: int = 20) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """The PM's items grouped by channel (CrewAI files them by category) and the designer's items."""
    rng = random.Random(seed)
    pm: dict[str, list[str]] = {channel: [] for channel in PM_CHANNELS}
    design: list[dict[str, Any]] = []
    number = 0
    for pm_count, design_count, _, phrasings in THEMES.values():
        for count, channels in ((pm_count, PM_CHANNELS), (design_count, DESIGN_CHANNELS)):
            for _ in range(count):
                number += 1
                channel, segment = rng.choice(channels), rng.choice(SEGMENTS)
                text = f"{rng.choice(phrasings)} ({segment} user #{number}, {channel})"
                if channel in pm:
                    pm[channel].append(text)
                else:
                    design.append({"content": text, "tags": [channel], "metadata": {"segment": segment}})
    for index, praise in enumerate(PRAISE * 4):
        number += 1
        pm[PM_CHANNELS[index % len(PM_CHANNELS)]].append(f"{praise} (user #{number})")
    return pm, design


def shared(agent: AgentMemory) -> ScopedMemory:
    """The agent, as its card's principal, on the shared product bank."""
    return agent.brain.scoped(PRODUCT_BANK, context=agent.context, banks=[PRODUCT_BANK])


def size_themes(designer: ScopedMemory, pm: AgentMemory) -> list[tuple[str, Counter[str]]]:
    retriever = AstrocyteRetriever(designer, max_results=100)
    sized = []
    for theme, (_, _, probe, _) in THEMES.items():
        nodes = [node for node in retriever.retrieve(probe) if node.score is not None and node.score >= RELEVANT]
        sized.append((theme, Counter("pm" if node.metadata["source"] == pm.context.principal else "designer"
                                     for node in nodes)))  # fmt: skip
    return sorted(sized, key=lambda item: -item[1].total())


def synthesis_crew(pm: AgentMemory, themes: list[str]) -> list[str]:
    memory = AstrocyteMemory(shared(pm), scope_to_bank=PRODUCT_BANK, read_only=True, llm=llm_from_env())
    analyst = Agent(
        role="Feedback Analyst",
        goal="Say what users mean by each theme, in their words",
        backstory="Reads every piece of feedback the product team has filed, whoever filed it.",
        llm=llm_from_env(),
        memory=memory,
    )
    tasks = [
        Task(description=f"What do users say about {theme}?", expected_output="Two quotes.", agent=analyst)
        for theme in themes
    ]
    Crew(agents=[analyst], tasks=tasks, memory=memory).kickoff()
    return [task.output.raw for task in tasks]


def refused(label: str, attempt: Any) -> bool:
    try:
        attempt()
    except AccessDenied as denied:
        print(f"  {label}: AccessDenied: {denied}")
        return True
    print(f"  {label}: allowed")
    return False


def main() -> None:
    pm_items, design_items = feedback()
    with Astrocyte(config()) as brain:
        pm = brain.sync.for_agent(CARDS / "day-20-pm-feedback-agent.json", tenant=TENANT, bindings=BINDINGS)
        designer = brain.sync.for_agent(CARDS / "day-20-design-research-agent.json", tenant=TENANT, bindings=BINDINGS)

        intake = AstrocyteMemory(shared(pm), scope_to_bank=PRODUCT_BANK, llm=llm_from_env())
        # Until a crew is created, CrewAI's console shows a panel for every memory save: logs, so to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            for channel, texts in pm_items.items():
                intake.remember_many(texts, categories=[channel])
            crewai_event_bus.flush()
        shared(designer).sync.retain_many(design_items)
        filed = Counter(record.source for record in brain.sync.list(PRODUCT_BANK, limit=1000, context=pm.context))
        print(f"Shared bank {PRODUCT_BANK}:")
        print(f"  {filed[pm.context.principal]} items filed by {pm.context.principal} (CrewAI memory)")
        print(f"  {filed[designer.context.principal]} items filed by {designer.context.principal} (core API)")

        print(f"\nThe designer's LlamaIndex retriever sizes the candidate themes (items scoring {RELEVANT} or more):")
        sized = size_themes(shared(designer), pm)
        print(f"  {'theme':24} {'items':>5} {'PM':>4} {'designer':>8}")
        for theme, counts in sized:
            print(f"  {theme:24} {counts.total():5} {counts['pm']:4} {counts['designer']:8}")

        top = [theme for theme, _ in sized[:3]]
        print("\nThe PM's CrewAI synthesis crew writes up the top three:")
        for theme, summary in zip(top, synthesis_crew(pm, top), strict=True):
            print(f"  {theme}: {summary}")
        crew_read = {
            hit.record.source
            for theme in top
            for hit in shared(pm).sync.recall(f"What do users say about {theme}?", max_results=5).hits
        }

        question = "Why do people find onboarding confusing?"
        engine = RetrieverQueryEngine.from_args(
            AstrocyteRetriever(shared(designer), max_results=4), llm=query_llm_from_env()
        )
        response = engine.query(question)
        print(f"\nThe designer's LlamaIndex query engine: {question}\n  answer: {response}")
        sources = Counter()
        for source in response.source_nodes:
            who = "PM" if source.node.metadata["source"] == pm.context.principal else "designer"
            sources[who] += 1
            print(f"  source, filed by the {who} ({source.score:.2f}): {source.node.text}")

        print("\nForgetting is the PM's call:")
        pm_item = next(record for record in brain.sync.list(PRODUCT_BANK, context=pm.context) if "#" in record.text)
        designer_refused = refused(
            "the designer forgets one of the PM's items",
            lambda: shared(designer).sync.forget(memory_ids=[pm_item.id]),
        )
        refused(
            "the designer forgets her own diary-study notes",
            lambda: shared(designer).sync.forget(tags=["diary study"]),
        )
        deleted = shared(pm).sync.forget(memory_ids=[pm_item.id]).deleted
        print(f"  the PM forgets the same item: {deleted} deleted")

    both_sized = all(counts["pm"] and counts["designer"] for _, counts in sized[:2])
    crew_read_both = crew_read == {pm.context.principal, designer.context.principal}
    if not (both_sized and crew_read_both and sources["PM"] and designer_refused and deleted == 1):
        raise SystemExit("the two agents did not read each other's feedback, or the designer could forget")
    print(
        "\nPROOF: the CrewAI crew and the LlamaIndex query engine found themes in feedback filed by both "
        "principals, and the designer could not forget the PM's items"
    )


if __name__ == "__main__":
    main()
