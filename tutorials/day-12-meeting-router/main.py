"""Day 12 — Meeting notes routed by intent: a LangGraph note-taker files, MIP routes, two people read their own.

    python tutorials/day-12-meeting-router/main.py

A LangGraph graph, the Meeting Note-taker (agent card `day-12-meeting-note-taker`), turns a meeting transcript
into items and files each one with its metadata (`kind`, `owner`, `meeting`) and no bank. The Memory Intent
Protocol rules next to this file (rules.yaml) decide: small talk is rejected, an action item goes to its
owner's bank `actions-{metadata.owner}`, everything else to the team bank. A shadow rule, a candidate
"decisions log", is evaluated on every write and only logged. `brain.mip` explains a decision, as
`astrocyte mip explain` does from the shell.

Then two people ask for their action items. Ann uses a LangGraph assistant (agent card `day-12-desk-assistant`)
whose graph recalls through `AstrocyteRetriever`; Bob uses a LlamaIndex `RetrieverQueryEngine` (agent card
`day-12-inbox-assistant`). Both agents may read every action-item bank, but each acts on behalf of one user,
and the user's own grant narrows what it reads to the team bank and that user's action items.

Offline by default (deterministic stand-ins that quote, not language models); set ASTROCYTE_LLM_MODEL to any
LiteLLM model name, with its API key, for real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.messages import SystemMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from llama_index.core.query_engine import RetrieverQueryEngine

from astrocyte import AccessDenied, AgentMemory, Astrocyte, MipRoutingError, ScopedMemory
from astrocyte.mip import WriteFacts
from astrocyte_langgraph import AstrocyteRetriever, chat_model_from_env
from astrocyte_llamaindex import AstrocyteRetriever as LlamaIndexRetriever
from astrocyte_llamaindex import llm_from_env

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
BINDINGS = CARDS / "bindings.yaml"
DATA = Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-12-"))
TEAM = "team-platform"
MEETING = "platform-sync-w09"
ACTION = re.compile(r"^ACTION (?P<owner>[a-z]+): (?P<text>.+)$")

TRANSCRIPT: list[tuple[str, str]] = [
    ("ann", "Good morning everyone, coffee is on the second floor today."),
    ("bob", "We decided to move the nightly build to the new ARM runners from 3 March."),
    ("carla", "Staging latency is back under 200 ms since the cache fix shipped on Tuesday."),
    ("ann", "ACTION bob: migrate the nightly build job to the ARM runners before 3 March."),
    ("bob", "ACTION ann: write the rollback runbook for the runner migration."),
    ("carla", "ACTION ann: review the staging cache settings with Carla on Thursday."),
    ("bob", "Thanks all, see you next week!"),
]


class Meeting(TypedDict, total=False):
    meeting: str
    transcript: list[tuple[str, str]]
    items: list[dict[str, Any]]
    filed: list[dict[str, Any]]


@dataclass
class NoteTaker:
    memory: AgentMemory


@dataclass
class Desk:
    retriever: AstrocyteRetriever


def config() -> dict[str, Any]:
    return {
        "data_dir": str(DATA / "memory"),
        "mip": {"rules": str(HERE / "rules.yaml")},
        "access": {
            "enabled": True,
            "grants": [{"principal": "user:*", "banks": [TEAM, "actions-{principal_id}"], "permissions": ["read"]}],
        },
    }


def extract(state: Meeting) -> Meeting:
    """Each line becomes an item; `ACTION owner: ...` lines are action items with an owner."""
    items = []
    for speaker, line in state["transcript"]:
        metadata = {"meeting": state["meeting"], "speaker": speaker, "kind": "note"}
        if found := ACTION.match(line):
            metadata |= {"kind": "action", "owner": found["owner"]}
            line = f"Action item for {found['owner'].capitalize()}: {found['text']}"
        items.append({"content": line, "metadata": metadata})
    return {"items": items}


async def file(state: Meeting, runtime: Runtime[NoteTaker]) -> Meeting:
    """File every item with no bank named: the MIP rules route it, or reject it."""
    brain = runtime.context.memory.brain
    filed = []
    for item in state["items"]:
        with contextlib.suppress(MipRoutingError):  # a rejected write; the audit entry says which rule
            await runtime.context.memory.retain(item["content"], metadata=item["metadata"])
        routed = next(entry for entry in reversed(brain.audit.entries()) if entry["event"] == "mip_routed")
        filed.append({**item, "bank": routed["bank_id"], "rule": routed["rule"], "shadow": routed["shadow"]})
    return {"filed": filed}


def note_taker_graph() -> CompiledStateGraph:
    builder = StateGraph(Meeting, context_schema=NoteTaker)
    builder.add_node("extract", extract)
    builder.add_node("file", file)
    builder.add_edge(START, "extract")
    builder.add_edge("extract", "file")
    builder.add_edge("file", END)
    return builder.compile()


def desk_graph() -> CompiledStateGraph:
    """Ann's LangGraph assistant: recall through the retriever into the system prompt, then the model."""
    model = chat_model_from_env()

    async def answer(state: MessagesState, runtime: Runtime[Desk]) -> dict[str, Any]:
        documents = await runtime.context.retriever.ainvoke(state["messages"][-1].text)
        recalled = "\n".join(f"- {document.page_content}" for document in documents)
        system = SystemMessage(f"You are Ann's desk assistant. Answer from memory.\n\nRelevant memories:\n{recalled}")
        return {"messages": [await model.ainvoke([system, *state["messages"]])]}

    builder = StateGraph(MessagesState, context_schema=Desk)
    builder.add_node("answer", answer)
    builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    return builder.compile()


def acting_for(agent: AgentMemory, user: str) -> ScopedMemory:
    """The agent's card memory, acting on behalf of one user: it reads the team bank and that user's items."""
    context = agent.context.model_copy(update={"on_behalf_of": f"user:{user}"})
    return agent.brain.scoped(f"actions-{user}", context=context, banks=[TEAM, f"actions-{user}"])


async def take_notes(brain: Astrocyte) -> None:
    memory = await brain.for_agent(CARDS / "day-12-meeting-note-taker.json", bindings=BINDINGS)
    print(f"LangGraph note-taker {memory.resolution.identity} files the {MEETING} transcript; MIP routes each line:")
    result = await note_taker_graph().ainvoke({"meeting": MEETING, "transcript": TRANSCRIPT}, context=NoteTaker(memory))
    for item in result["filed"]:
        where = item["bank"] or "rejected"
        print(f"  {item['metadata']['speaker']:5} {where:13} (rule {item['rule']}) {item['content']}")
        for rule, bank in item["shadow"]:
            print(f"        shadow rule {rule} would route it to {bank}; not applied")


async def explain(brain: Astrocyte) -> None:
    """What `astrocyte mip explain rules.yaml --content ... --metadata ...` prints, through the API."""
    speaker, text = TRANSCRIPT[1]
    metadata = {"meeting": MEETING, "speaker": speaker, "kind": "note"}
    decision = await brain.mip.route(WriteFacts(text, metadata=metadata))
    print("\nWhy Bob's decision went to the team bank (brain.mip.route(...).explain()):")
    for line in decision.explain().splitlines():
        print(f"  {line}")


async def ann_asks(brain: Astrocyte) -> list[str]:
    desk = await brain.for_agent(CARDS / "day-12-desk-assistant.json", bindings=BINDINGS)
    memory = acting_for(desk, "ann")
    retriever = AstrocyteRetriever(memory=memory, k=3)
    question = "What are my action items?"
    print(f"\nAnn asks her LangGraph desk assistant ({desk.resolution.principal}, for user:ann): {question}")
    result = await desk_graph().ainvoke({"messages": [("user", question)]}, context=Desk(retriever))
    print(f"  assistant: {result['messages'][-1].text}")
    documents = await retriever.ainvoke(question)
    for document in documents:
        print(f"  recalled [{document.metadata['bank_id']}] ({document.metadata['score']:.2f}) {document.page_content}")
    try:
        await AstrocyteRetriever(memory=brain, bank_id="actions-bob", context=memory.context).ainvoke(question)
    except AccessDenied as denied:
        print(f"  reading actions-bob is refused: {denied}")
    else:
        raise SystemExit("Ann's assistant could read Bob's action items")
    return [document.metadata["bank_id"] for document in documents]


async def bob_asks(brain: Astrocyte) -> list[str]:
    inbox = await brain.for_agent(CARDS / "day-12-inbox-assistant.json", bindings=BINDINGS)
    memory = acting_for(inbox, "bob")
    engine = RetrieverQueryEngine.from_args(LlamaIndexRetriever(memory, max_results=3), llm=llm_from_env())
    question = "Which action items are mine?"
    print(f"\nBob asks his LlamaIndex inbox assistant ({inbox.resolution.principal}, for user:bob): {question}")
    response = await engine.aquery(question)
    print(f"  assistant: {response}")
    for source in response.source_nodes:
        print(f"  source [{source.node.metadata['bank_id']}] ({source.score:.2f}) {source.node.text}")
    try:
        await LlamaIndexRetriever(brain, bank_id="actions-ann", context=memory.context).aretrieve(question)
    except AccessDenied as denied:
        print(f"  reading actions-ann is refused: {denied}")
    else:
        raise SystemExit("Bob's assistant could read Ann's action items")
    return [source.node.metadata["bank_id"] for source in response.source_nodes]


async def main() -> None:
    async with Astrocyte(config()) as brain:
        await take_notes(brain)
        await explain(brain)
        ann = await ann_asks(brain)
        bob = await bob_asks(brain)
    if not ("actions-ann" in ann and "actions-bob" not in ann and "actions-bob" in bob and "actions-ann" not in bob):
        raise SystemExit("an assistant did not recall its own user's action items, or saw someone else's")
    print(
        "\nPROOF: Ann's LangGraph assistant and Bob's LlamaIndex assistant each recalled their own action items, "
        "filed by the LangGraph note-taker and routed by MIP"
    )


if __name__ == "__main__":
    asyncio.run(main())
