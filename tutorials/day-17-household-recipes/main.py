"""Day 17 — Household recipes and preferences.

    python tutorials/day-17-household-recipes/main.py

Maya and Leo share a kitchen. Each keeps allergies and dislikes in a private bank (`household/maya`,
`household/leo`); the pantry and the cooking log are a shared bank (`household/pantry`). A LangGraph kitchen
assistant, acting on behalf of whoever is cooking, records what was cooked in the pantry bank. A CrewAI
meal-planning crew plans Friday dinner: one taster agent reads Maya's preferences on Maya's behalf, another
Leo's on Leo's behalf, and the planner reads the pantry, including what the kitchen assistant recorded. With
`on_behalf_of`, a call is allowed only if both the agent and the member may make it, so the taster acting for
Maya can never read Leo's bank. `profile: personal` keeps personal details (with a warning) but redacts card
numbers and secrets.

Offline by default (deterministic stand-ins, not language models); with ASTROCYTE_LLM_MODEL set, the LangGraph
assistant and the CrewAI crew use that model.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")

from crewai import Agent, Crew, Task
from crewai.memory.types import MemoryMatch
from langchain_core.messages import SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime

from astrocyte import AccessDenied, AgentMemory, Astrocyte, Context, ScopedMemory
from astrocyte_crewai import AstrocyteMemory, llm_from_env
from astrocyte_langgraph import (
    AstrocyteStore,
    chat_model_from_env,
    create_memory_tools,
    memory_prompt,
    resolve_namespace,
)

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
BINDINGS = CARDS / "bindings.yaml"
DATA = Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-17-"))
PANTRY = "household/pantry"
MEMBERS = ("maya", "leo")
PREFERENCES = {
    "maya": [
        "Maya is allergic to peanuts; her EpiPen is in the hall drawer, and her sister's number is +44 7700 900123.",
        "Maya dislikes coriander and very spicy food.",
    ],
    "leo": [
        "Leo is lactose intolerant, so no cream or butter in his portion.",
        "Leo dislikes mushrooms. The grocery order is paid with card 4111 1111 1111 1111.",
    ],
}
PANTRY_STOCK = [
    "Pantry: two cans of coconut milk, a bag of jasmine rice, chickpeas, red lentils and dried apricots.",
    "Fridge: a block of tofu, spinach, three peppers, half a butternut squash and a tub of Greek yoghurt.",
]
COOKED = "Remember that tonight I cooked a chickpea curry and used the last can of coconut milk."


def config() -> dict[str, Any]:
    return {
        "data_dir": str(DATA / "memory"),
        "profile": "personal",
        "access": {
            "enabled": True,
            "grants": [
                {"principal": "user:*", "banks": ["household/{principal_id}"], "permissions": ["read", "write"]},
                {"principal": "user:*", "banks": [PANTRY], "permissions": ["read", "write"]},
            ],
        },
    }


def as_user(member: str) -> Context:
    return Context(principal=f"user:{member}")


def acting_for(agent: AgentMemory, member: str, bank: str) -> ScopedMemory:
    """The agent's memory on one bank, on behalf of one member: every call needs both their permissions."""
    context = agent.context.model_copy(update={"on_behalf_of": f"user:{member}"})
    return agent.brain.scoped(bank, context=context, banks=[bank])


def kitchen_graph(memory: ScopedMemory) -> CompiledStateGraph:
    namespace = ("cooking-log", "{cook}")
    tools = create_memory_tools(namespace)
    model = chat_model_from_env().bind_tools(tools)

    def assistant(state: MessagesState, config: RunnableConfig, runtime: Runtime) -> dict[str, Any]:
        question = state["messages"][-1].text
        recalled = memory_prompt(runtime.store, resolve_namespace(namespace, config), question)
        system = SystemMessage(f"You are the household's kitchen assistant.\n\n{recalled}".strip())
        return {"messages": [model.invoke([system, *state["messages"]])]}

    builder = StateGraph(MessagesState)
    builder.add_node("assistant", assistant)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "assistant")
    builder.add_conditional_edges("assistant", tools_condition)
    builder.add_edge("tools", "assistant")
    return builder.compile(store=AstrocyteStore(memory, index={"fields": ["content"]}))


def taster(planner: AgentMemory, member: str) -> tuple[Agent, Task]:
    memory = AstrocyteMemory(acting_for(planner, member, f"household/{member}"), read_only=True, llm=llm_from_env())
    agent = Agent(
        role=f"{member.title()}'s taster",
        goal=f"Know what {member.title()} cannot or will not eat",
        backstory=f"Speaks for {member.title()} at the planning table, and reads only {member.title()}'s notes.",
        llm=llm_from_env(),
        memory=memory,
    )
    task = Task(
        description=f"Which foods is {member.title()} allergic to or dislikes?",
        expected_output="The foods to avoid.",
        agent=agent,
    )
    return agent, task


def plan_dinner(planner: AgentMemory) -> tuple[str, list[MemoryMatch]]:
    tasters = [taster(planner, member) for member in MEMBERS]
    shared = planner.brain.scoped(PANTRY, context=planner.context, banks=[PANTRY])
    pantry = AstrocyteMemory(shared, scope_to_bank=PANTRY, llm=llm_from_env())
    chef = Agent(
        role="Meal Planner",
        goal="Plan dinners from what the household has, that everyone can eat",
        backstory="Plans the week's dinners from the pantry and the cooking log.",
        llm=llm_from_env(),
        memory=pantry,
    )
    plan = Task(
        description="What did we cook this week, what did we use up, and what is left in the pantry?",
        expected_output="Friday dinner: one dish, from what is left, that both can eat.",
        agent=chef,
        context=[task for _, task in tasters],
    )
    crew = Crew(agents=[*(agent for agent, _ in tasters), chef], tasks=[*(task for _, task in tasters), plan])
    matches = pantry.recall(plan.description, limit=5)
    print(f"  for the task {plan.description!r}, the planner's memory recalls from {PANTRY}:")
    for match in matches:
        print(f"    ({match.score:.2f}) {match.record.content}")
    output = crew.kickoff()
    for (_, task), member in zip(tasters, MEMBERS, strict=True):
        print(f"  {member.title()}'s taster: {task.output.raw}")
    return output.raw, matches


def refused(label: str, attempt: Any) -> bool:
    try:
        attempt()
    except AccessDenied as denied:
        print(f"  {label}: AccessDenied: {denied}")
        return True
    print(f"  {label}: allowed")
    return False


def main() -> None:
    with Astrocyte(config()) as brain:
        print("Maya and Leo write their preferences to their private banks (profile: personal):")
        for member, notes in PREFERENCES.items():
            results = brain.sync.retain_many(notes, f"household/{member}", context=as_user(member))
            for note, result in zip(notes, results, strict=True):
                print(f"  household/{member} <- {note}")
                if result.warnings:
                    print(f"    warnings: {'; '.join(result.warnings)}")
        brain.sync.retain_many(PANTRY_STOCK, PANTRY, context=as_user("maya"))
        for member in MEMBERS:
            stored = [record.text for record in brain.sync.list(f"household/{member}", context=as_user(member))]
            print(f"  stored in household/{member}: {' | '.join(stored)}")

        kitchen = brain.sync.for_agent(CARDS / "day-17-kitchen-assistant.json", bindings=BINDINGS)
        planner = brain.sync.for_agent(CARDS / "day-17-meal-planner.json", bindings=BINDINGS)
        print(f"\nLangGraph kitchen assistant ({kitchen.resolution.principal}), acting for Leo:")
        graph = kitchen_graph(acting_for(kitchen, "leo", PANTRY))
        run = {"configurable": {"thread_id": "tuesday", "cook": "leo"}}
        print(f"  leo: {COOKED}")
        for message in graph.invoke({"messages": [("user", COOKED)]}, run)["messages"][1:]:
            if message.type == "ai" and message.tool_calls:
                call = message.tool_calls[0]
                print(f"  kitchen assistant calls {call['name']}({call['args']['content']!r})")
            elif message.type == "ai":
                print(f"  kitchen assistant: {message.text}")

        print(f"\nCrewAI meal-planning crew ({planner.resolution.principal}):")
        dinner, matches = plan_dinner(planner)
        print(f"  Meal Planner: {dinner}")
        saved = brain.sync.list(PANTRY, context=planner.context)[-1]
        print(f"  the crew saved its plan to {PANTRY} as {saved.source}")

        print("\nWhat the crew may see, acting for each member:")
        seen = {}
        for member in MEMBERS:
            banks = [f"household/{member}", PANTRY]
            context = planner.context.model_copy(update={"on_behalf_of": f"user:{member}"})
            hits = brain.sync.recall("food", banks=banks, context=context, max_results=10).hits
            seen[member] = {hit.bank_id for hit in hits}
            print(f"  for {member.title()}: {', '.join(sorted(seen[member]))} ({len(hits)} memories)")
        print("What it may not:")
        blocked = [
            refused(
                "the crew, acting for Maya, reads Leo's bank",
                lambda: acting_for(planner, "maya", "household/leo").sync.recall("allergies"),
            ),
            refused(
                "the kitchen assistant, acting for Leo, reads Maya's bank",
                lambda: acting_for(kitchen, "leo", "household/maya").sync.recall("allergies"),
            ),
            refused(
                "Leo himself reads Maya's bank",
                lambda: brain.sync.recall("allergies", bank_id="household/maya", context=as_user("leo")),
            ),
        ]

    recorded = any("last can of coconut milk" in match.record.content for match in matches)
    private = all(seen[member] == {f"household/{member}", PANTRY} for member in MEMBERS)
    if not (recorded and private and all(blocked)):
        raise SystemExit("the planner did not recall the kitchen log, or a member's bank leaked")
    print(
        "\nPROOF: the CrewAI meal planner recalled what the LangGraph kitchen assistant recorded, "
        "and read each member's preferences only on that member's behalf"
    )


if __name__ == "__main__":
    main()
