"""Day 19 — Agents from a marketplace, identified by their cards.

    python tutorials/day-19-agent-marketplace/main.py

ACME's travel desk installs two marketplace agents that are both called "Travel Planner": Northwind Labs' is a
LangGraph graph, Contoso Agents' a CrewAI crew. Their A2A cards name different providers, so they resolve to
two identities, two principals and two banks, and neither can read the other's. Northwind signs its card: the
program generates Northwind's key pair with joserfc, signs the card with `astrocyte.cards.sign_card`, and puts
the public key in the marketplace bindings (bindings.yaml next to this file), whose Northwind binding requires
`trust: signed` and grants read access to the company's travel policy. The unsigned original and a tampered
copy of the signed card are refused with AccessDenied; the unsigned Contoso card gets a bank of its own only.

Offline by default (deterministic stand-ins, not language models); with ASTROCYTE_LLM_MODEL set, the LangGraph
graph and the CrewAI crew use that model.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")

from crewai import Agent, Crew, Task
from joserfc.jwk import ECKey
from langchain_core.messages import SystemMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from astrocyte import AccessDenied, AgentMemory, Astrocyte, ConfigError, Context
from astrocyte.cards import load_bindings, sign_card
from astrocyte_crewai import AstrocyteMemory, llm_from_env
from astrocyte_langgraph import AstrocyteRetriever, AstrocyteStore, chat_model_from_env, create_memory_tools

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
NORTHWIND_CARD = CARDS / "day-19-northwind-travel-planner.json"
CONTOSO_CARD = CARDS / "day-19-contoso-travel-planner.json"
DATA = Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-19-"))
MARKETPLACE = DATA / "marketplace"
POLICY_BANK = "travel-policy/acme"
TRAVEL_DESK = Context(principal="service:acme-travel-desk")
TRAVEL_POLICY = [
    "Hotel bookings in Berlin are capped at 180 EUR per night.",
    "Hotel bookings in London are capped at 240 GBP per night.",
    "Trains are preferred over flights for trips under four hours.",
]


def config() -> dict[str, Any]:
    return {
        "data_dir": str(DATA / "memory"),
        "access": {
            "enabled": True,
            "grants": [{"principal": TRAVEL_DESK.principal, "banks": ["travel-policy/*"], "permissions": ["write"]}],
        },
    }


def publish_marketplace() -> dict[str, Any]:
    """Northwind's side and ACME's side of the signature: sign the card; trust the public key in the bindings."""
    key = ECKey.generate_key("P-256", parameters={"kid": "northwind-2025"}, private=True)
    (MARKETPLACE / "keys").mkdir(parents=True, exist_ok=True)
    public = {"keys": [key.as_dict(private=False)]}
    (MARKETPLACE / "keys" / "northwind.jwks.json").write_text(json.dumps(public, indent=2))
    shutil.copy(HERE / "bindings.yaml", MARKETPLACE / "bindings.yaml")
    return sign_card(json.loads(NORTHWIND_CARD.read_text()), key)


def describe(label: str, agent: AgentMemory) -> None:
    found = agent.resolution
    print(f"  {label}: card name {found.name!r} -> identity {found.identity}, trust {found.trust}")
    print(f"    principal {found.principal}; bank {found.bank_id}; reads {', '.join(found.read_banks)}")


def refused(label: str, attempt: Any) -> bool:
    try:
        attempt()
    except (AccessDenied, ConfigError) as denied:
        first, *more = str(denied).splitlines()
        print("\n      ".join([f"  {label}: {type(denied).__name__}: {first}", *(line.strip() for line in more)]))
        return True
    print(f"  {label}: allowed")
    return False


def northwind_graph(agent: AgentMemory) -> CompiledStateGraph:
    """Northwind's planner: recalls from every bank its card may read, saves travellers' requests in its store."""
    retriever = AstrocyteRetriever(memory=agent, k=2)
    tools = [tool for tool in create_memory_tools(("trips", "{traveller}")) if tool.name == "save_memory"]
    model = chat_model_from_env().bind_tools(tools)

    def plan(state: MessagesState) -> dict[str, Any]:
        recalled = retriever.invoke(state["messages"][-1].text)
        memories = "\n".join(["Relevant memories:", *(f"- {doc.page_content}" for doc in recalled)])
        system = SystemMessage(f"You are Northwind's travel planner for ACME.\n\n{memories if recalled else ''}")
        return {"messages": [model.invoke([system, *state["messages"]])]}

    builder = StateGraph(MessagesState)
    builder.add_node("plan", plan)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", tools_condition)
    builder.add_edge("tools", "plan")
    return builder.compile(store=AstrocyteStore(agent, index={"fields": ["content"]}))


def ask_northwind(graph: CompiledStateGraph, thread: str, text: str) -> str:
    config = {"configurable": {"thread_id": thread, "traveller": "ann"}}
    answer = graph.invoke({"messages": [("user", text)]}, config)["messages"][-1].text
    print(f"  traveller: {text}\n  northwind: {answer}")
    return answer


def contoso_crew(agent: AgentMemory, description: str) -> str:
    memory = AstrocyteMemory(agent, scope_to_bank=agent.bank_id, llm=llm_from_env())
    planner = Agent(
        role="Travel Planner",
        goal="Book trips that match what the traveller asked for",
        backstory="Contoso's booking agent.",
        llm=llm_from_env(),
        memory=memory,
    )
    task = Task(description=description, expected_output="A short booking note.", agent=planner)
    return Crew(agents=[planner], tasks=[task], memory=memory).kickoff().raw


def sees(brain: Astrocyte, label: str, agent: AgentMemory) -> list[str]:
    hits = brain.sync.recall("Ann Berlin hotel", banks=list(agent.banks), context=agent.context).hits
    print(f"  {label} may see:")
    for hit in hits:
        print(f"    - [{hit.bank_id}] {_short(hit.text)}")
    return [hit.bank_id for hit in hits]


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 90 else f"{flat[:87]}..."


def main() -> None:
    unsigned = json.loads(NORTHWIND_CARD.read_text())
    signed = publish_marketplace()
    tampered = copy.deepcopy(signed)
    tampered["supportedInterfaces"][0]["url"] = "https://agents.attacker.example/travel-planner/a2a/v1"
    bindings = MARKETPLACE / "bindings.yaml"

    with Astrocyte(config()) as brain:
        brain.sync.retain_many(TRAVEL_POLICY, POLICY_BANK, context=TRAVEL_DESK)
        print(f"ACME's travel desk wrote {len(TRAVEL_POLICY)} rules to {POLICY_BANK}.\n")

        print("Two marketplace cards with the same name, resolved through the marketplace bindings:")
        northwind = brain.sync.for_agent(signed, bindings=bindings)
        contoso = brain.sync.for_agent(CONTOSO_CARD, bindings=bindings)
        describe("Northwind (signed)", northwind)
        describe("Contoso (unsigned)", contoso)

        print("\nCards the marketplace bindings refuse:")
        unsigned_refused = refused(
            "Northwind's card without its signature", lambda: brain.sync.for_agent(unsigned, bindings=bindings)
        )
        tampered_refused = refused(
            "the signed card with its endpoint changed", lambda: brain.sync.for_agent(tampered, bindings=bindings)
        )
        by_name = {"name": "by-name", "match": {"provider": "*"}, "trust": "asserted", "bank": "agents/{card.name}"}
        refused("a binding that keys banks on the card name", lambda: load_bindings({"bindings": [by_name]}))

        print("\nNorthwind's Travel Planner (LangGraph):")
        graph = northwind_graph(northwind)
        ask_northwind(graph, "trip-1", "Remember that Ann wants a hotel within walking distance of the Berlin office.")
        answer = ask_northwind(graph, "trip-2", "What is the hotel cap per night in Berlin?")

        print("\nContoso's Travel Planner (CrewAI):")
        note = contoso_crew(contoso, "Book Ann's Berlin trip. Ann asked for a quiet room away from the lifts.")
        print(f"  crew: {note}")

        print("\nWhat each may see, asked 'Ann Berlin hotel':")
        northwind_sees = sees(brain, "Northwind", northwind)
        contoso_sees = sees(brain, "Contoso", contoso)

        print("\nWhat each may not see:")
        blocked = [
            refused(
                "Contoso reads the travel policy",
                lambda: brain.sync.recall("hotel cap", bank_id=POLICY_BANK, context=contoso.context),
            ),
            refused(
                "Contoso reads Northwind's bank",
                lambda: brain.sync.recall("Ann", bank_id=northwind.bank_id, context=contoso.context),
            ),
            refused(
                "Northwind reads Contoso's bank",
                lambda: brain.sync.recall("Ann", bank_id=contoso.bank_id, context=northwind.context),
            ),
        ]

    separate = northwind.bank_id != contoso.bank_id and northwind.resolution.identity != contoso.resolution.identity
    never_shared = set(contoso_sees) == {contoso.bank_id} and set(northwind_sees) == set(northwind.banks)
    signed_only = northwind.resolution.trust == "signed" and unsigned_refused and tampered_refused
    if not (separate and never_shared and signed_only and all(blocked) and "180 EUR" in answer):
        raise SystemExit("the two Travel Planners were not kept apart, or the signature was not enforced")
    print(
        "\nPROOF: two agents named Travel Planner resolved to two identities and two banks that never shared, "
        "and only the signed card read the company travel policy"
    )


if __name__ == "__main__":
    main()
