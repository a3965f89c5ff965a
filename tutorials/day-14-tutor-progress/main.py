"""Day 14 — A tutor and a parent share a student's progress: LlamaIndex tutor writes, LangGraph parent reads.

    python tutorials/day-14-tutor-progress/main.py

Process 1, Monday's lesson. The Maths Tutor (agent card `day-14-maths-tutor`) is a LlamaIndex `FunctionAgent`
whose `Memory` has an `AstrocyteMemoryBlock`: as the lesson goes on, LlamaIndex flushes older messages out of
short-term memory and the block retains what Maya said into her progress bank. After the lesson the tutor
keeps a private note in a bank of its own.

Process 2, that evening. The Parent Assistant (agent card `day-14-parent-assistant`) is a LangGraph graph whose
node recalls through `AstrocyteRetriever` before it calls the model. The card bindings give the parent's
assistant a read-only grant on Maya's progress bank and nothing on the tutor's notes: it recalls what Maya
found hard, and reading the private notes or writing the progress bank raises AccessDenied.

Offline by default (deterministic stand-ins that quote, not language models); set ASTROCYTE_LLM_MODEL to any
LiteLLM model name, with its API key, for real ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astrocyte import AccessDenied, AgentMemory, Astrocyte

HERE = Path(__file__).resolve().parent
CARDS = HERE.parents[1] / "agent_cards"
BINDINGS = CARDS / "bindings.yaml"
STUDENT = "maya"
PROGRESS, NOTES = f"progress/{STUDENT}", f"tutor-notes/{STUDENT}"
TUTOR = "agent:astrocyte.example/maths-tutor"

LESSON = [
    "Can we do fractions again? I keep adding the denominators, so 1/3 + 1/4 comes out as 2/7.",
    "Oh, the denominators have to match first. Finding a common denominator still confuses me.",
    "Decimals were fine today, I got every percentage question right.",
    "Thanks, see you on Thursday!",
]
PRIVATE_NOTE = (
    "Private: Maya freezes on timed questions; untimed practice first. "
    "Consider telling the school about possible maths anxiety."
)


def config(data_dir: Path) -> dict[str, Any]:
    return {"data_dir": str(data_dir), "access": {"enabled": True}}


async def lesson(data_dir: Path) -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.memory import Memory

    from astrocyte_llamaindex import AstrocyteMemoryBlock, llm_from_env

    def tutor_agent() -> FunctionAgent:
        return FunctionAgent(
            llm=llm_from_env(),
            system_prompt="You are Maya's maths tutor. Be brief; build on what she found hard before.",
        )

    async with Astrocyte(config(data_dir)) as brain:
        tutor = await brain.for_agent(CARDS / "day-14-maths-tutor.json", tenant=STUDENT, bindings=BINDINGS)
        print(f"Process 1: Monday's lesson with the LlamaIndex tutor ({tutor.resolution.principal})")
        print(f"  its card's grants: {grants(tutor)}")
        progress = brain.scoped(PROGRESS, context=tutor.context, banks=tutor.banks)
        block = AstrocyteMemoryBlock(progress, retain_roles=("user",), max_results=2)
        monday = Memory.from_defaults(session_id="monday", token_limit=40, memory_blocks=[block])
        for text in LESSON:
            print(f"  maya: {text}")
            await tutor_agent().run(text, memory=monday)
        await tutor.retain(PRIVATE_NOTE)
        print(f"\nFlushed from short-term memory, the block retained in {PROGRESS}:")
        for record in await brain.list(PROGRESS, context=tutor.context):
            print(f"  - {record.text}")
        print(f"The tutor keeps a private note in {NOTES}:\n  - {PRIVATE_NOTE}")

        thursday = Memory.from_defaults(session_id="thursday", memory_blocks=[block])
        question = "Can we practise adding fractions with different denominators today?"
        reply = await tutor_agent().run(question, memory=thursday)
        print(f"\nThursday, a new session - maya: {question}")
        print(f"  the block recalls into the tutor's system message:\n{indent((await thursday.aget())[0].content)}")
        print(f"  tutor: {reply}")


def grants(agent: AgentMemory) -> str:
    """The banks a card's binding grants, with the permissions on each."""
    by_bank: dict[str, list[str]] = {}
    for grant in agent.resolution.grants:
        for bank in grant.banks:
            by_bank.setdefault(bank, []).extend(grant.permissions)
    return "; ".join(f"{bank} {'+'.join(permissions)}" for bank, permissions in by_bank.items())


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.strip().splitlines())


@dataclass
class Parent:
    """The runtime context of the parent's graph: what its node recalls through."""

    retriever: Any


async def evening(data_dir: Path) -> None:
    from langchain_core.messages import SystemMessage
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.runtime import Runtime

    from astrocyte_langgraph import AstrocyteRetriever, chat_model_from_env

    model = chat_model_from_env()

    async def answer(state: MessagesState, runtime: Runtime[Parent]) -> dict[str, Any]:
        documents = await runtime.context.retriever.ainvoke(state["messages"][-1].text)
        recalled = "\n".join(f"- {document.page_content}" for document in documents)
        system = SystemMessage(f"You help a parent follow their child's lessons.\n\nRelevant memories:\n{recalled}")
        return {"messages": [await model.ainvoke([system, *state["messages"]])]}

    builder = StateGraph(MessagesState, context_schema=Parent)
    builder.add_node("answer", answer)
    builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    graph = builder.compile()

    async with Astrocyte(config(data_dir)) as brain:
        parent = await brain.for_agent(CARDS / "day-14-parent-assistant.json", tenant=STUDENT, bindings=BINDINGS)
        print(f"\nProcess 2: that evening, the parent's LangGraph assistant ({parent.resolution.principal})")
        print(f"  its card's grants: {grants(parent)}")
        retriever = AstrocyteRetriever(memory=brain, banks=[PROGRESS], context=parent.context, k=3)
        question = "How is Maya getting on with fractions?"
        result = await graph.ainvoke({"messages": [("user", question)]}, context=Parent(retriever))
        documents = await retriever.ainvoke(question)
        print(f"  parent: {question}")
        for document in documents:
            meta = document.metadata
            print(f"  recalled [{meta['bank_id']}] by {meta['source']} ({meta['score']:.2f}):")
            print(f"    {document.page_content}")
        reply = result["messages"][-1].text
        print(f"  assistant: {reply}")

        refusals = 0
        try:
            await AstrocyteRetriever(memory=brain, bank_id=NOTES, context=parent.context).ainvoke("Maya")
        except AccessDenied as denied:
            refusals += 1
            print(f"  reading the tutor's notes is refused: {denied}")
        try:
            await brain.retain("Maya can skip fractions homework.", PROGRESS, context=parent.context)
        except AccessDenied as denied:
            refusals += 1
            print(f"  writing the progress bank is refused: {denied}")

    recalled_from_tutor = any(
        document.metadata["bank_id"] == PROGRESS
        and document.metadata["source"] == TUTOR
        and "fractions" in document.page_content
        for document in documents
    )
    if not (recalled_from_tutor and refusals == 2):
        raise SystemExit("the parent's assistant did not recall the tutor's progress notes, or saw the private ones")
    print(
        "\nPROOF: the parent's LangGraph assistant recalled in a later process what the LlamaIndex tutor retained "
        "about Maya's fractions, and was refused the tutor's private notes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=["lesson", "evening"], default="lesson")
    parser.add_argument("--data-dir", type=Path)
    arguments = parser.parse_args()
    data_dir = arguments.data_dir or (
        Path(os.environ.get("ASTROCYTE_TUTORIAL_DIR") or tempfile.mkdtemp(prefix="astrocyte-day-14-")) / "memory"
    )
    if arguments.phase == "evening":
        asyncio.run(evening(data_dir))
        return
    asyncio.run(lesson(data_dir))
    sys.stdout.flush()
    later = [sys.executable, __file__, "--phase", "evening", "--data-dir", str(data_dir)]
    raise SystemExit(subprocess.run(later, check=False).returncode)


if __name__ == "__main__":
    main()
