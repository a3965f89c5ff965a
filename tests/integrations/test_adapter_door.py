"""`astrocyte.adapters`, the glue every framework adapter shares: binding a memory, a hit as framework metadata,
paging through a bank, a chat turn as a memory, and the model switch."""

from __future__ import annotations

from typing import Any

import pytest

from astrocyte import Astrocyte, Context, ScopedMemory, ValidationError
from astrocyte.adapters import (
    BOOKKEEPING_PREFIXES,
    HIT_FIELDS,
    bind,
    bind_memory,
    chat_turn,
    hit_metadata,
    is_bookkeeping,
    iter_records,
)
from astrocyte.testing import NO_ANSWER, quote_answer

ANN = Context(principal="user:ann")


def test_a_scoped_memory_is_bound_as_it_is(memory_brain: Astrocyte) -> None:
    scoped = memory_brain.scoped("notes", context=ANN)
    binding = bind(scoped)
    assert binding.scoped is scoped and binding.brain is memory_brain and binding.context == ANN
    assert bind_memory(scoped) is scoped


def test_an_astrocyte_is_bound_to_a_bank_the_first_of_banks_or_the_default(memory_brain: Astrocyte) -> None:
    assert bind_memory(memory_brain, "notes", context={"principal": "user:ann"}).context == ANN
    assert bind_memory(memory_brain, banks=["a", "b"]).banks == ("a", "b")
    assert bind_memory(memory_brain, banks=["a", "b"]).bank_id == "a"
    assert bind_memory(memory_brain, default_bank="crewai").bank_id == "crewai"
    assert bind_memory(memory_brain, "notes", default_bank="crewai").bank_id == "notes"


def test_an_astrocyte_with_no_bank_is_the_brain_and_the_caller(memory_brain: Astrocyte) -> None:
    binding = bind(memory_brain, context={"principal": "user:ann"})
    assert binding.scoped is None and binding.brain is memory_brain and binding.context == ANN
    assert not binding.routed
    with pytest.raises(ValidationError, match="bank_id: required with an Astrocyte"):
        _ = binding.memory
    with pytest.raises(ValidationError, match="bank_id: required with an Astrocyte"):
        bind_memory(memory_brain)


async def test_writes_go_through_the_scoped_memory_and_reads_see_its_banks(memory_brain: Astrocyte) -> None:
    scoped = bind(memory_brain.scoped("a", banks=["a", "b"]))
    await scoped.retain_many([{"content": "Ann likes tea."}])
    assert await scoped.readable_banks() == ["a", "b"]
    loose = bind(memory_brain)
    await loose.retain_many([{"content": "Bo likes coffee.", "bank_id": "c"}])
    assert sorted(await loose.readable_banks()) == ["a", "c"]
    assert loose.run(memory_brain.list("c"))[0].text == "Bo likes coffee."


def test_misuse_names_the_fix(memory_brain: Astrocyte) -> None:
    with pytest.raises(ValidationError, match="context: a ScopedMemory already carries its banks and caller"):
        bind(memory_brain.scoped("notes"), context=ANN)
    with pytest.raises(ValidationError, match="card: the card's binding names the bank and the caller"):
        bind(memory_brain, context=ANN, card="agent_cards/demo.json")
    with pytest.raises(ValidationError, match="memory: must be an Astrocyte or a ScopedMemory, got str"):
        bind("notes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="context: principal"):
        bind(memory_brain, context={"principal": "ann"})
    assert isinstance(bind_memory(memory_brain, "notes"), ScopedMemory)


# -- a hit as framework metadata


def test_hit_metadata_is_own_metadata_plus_one_set_of_fields(memory_brain: Astrocyte) -> None:
    memory_brain.sync.retain(
        "Ann likes oolong tea.",
        bank_id="notes",
        key="tea",
        metadata={"topic": "tea", "langgraph_order": 7, "crewai_scope": "/"},
        tags=["drinks"],
        source="user:ann",
    )
    [hit] = memory_brain.sync.recall("Which tea does Ann like?", bank_id="notes").hits
    assert hit_metadata(hit, bookkeeping=False) == {
        "topic": "tea",
        "memory_id": hit.id,
        "bank_id": "notes",
        "key": "tea",
        "score": hit.score,
        "tags": ["drinks"],
        "source": "user:ann",
        "occurred_at": hit.record.occurred_at.isoformat(),
    }
    assert "score" not in hit_metadata(hit.record)
    assert hit_metadata(hit.record, fields=(), bookkeeping=False) == {"topic": "tea"}
    assert hit_metadata(hit.record, fields=()) == {"topic": "tea", "langgraph_order": 7, "crewai_scope": "/"}
    assert hit_metadata(hit, fields=["bank_id"], bookkeeping=False) == {"topic": "tea", "bank_id": "notes"}
    assert is_bookkeeping("langgraph_ns1") and is_bookkeeping("crewai_scope") and not is_bookkeeping("topic")


def test_no_framework_shows_its_model_another_s_bookkeeping(memory_brain: Astrocyte) -> None:
    from llama_index.core.schema import MetadataMode

    from astrocyte_autogen import AstrocyteMemory as AutoGenMemory
    from astrocyte_crewai import AstrocyteMemory as CrewAIMemory
    from astrocyte_langgraph import AstrocyteRetriever as LangChainRetriever
    from astrocyte_langgraph import AstrocyteStore
    from astrocyte_llamaindex import AstrocyteRetriever as LlamaIndexRetriever

    AstrocyteStore(memory_brain, namespace_to_bank="shared").put(("notes", "ann"), "tea", {"content": "Ann likes tea."})
    query = "Which tea does Ann like?"
    [document] = LangChainRetriever(memory=memory_brain, bank_id="shared").invoke(query)
    [node] = LlamaIndexRetriever(memory_brain, bank_id="shared").retrieve(query)
    [content] = memory_brain.sync.run(AutoGenMemory(memory_brain, bank_id="shared").query(query)).results
    [match] = CrewAIMemory(memory_brain.scoped("shared")).recall(query)
    shown = [document.metadata, node.node.metadata, content.metadata or {}]
    assert all(set(HIT_FIELDS) <= set(metadata) for metadata in shown)
    assert len({metadata["memory_id"] for metadata in shown}) == 1
    assert all(metadata["langgraph_namespace"] == "notes/ann" for metadata in shown)  # who wrote it, and where
    for to_the_model in [node.node.get_content(MetadataMode.LLM), match.format()]:
        assert not any(prefix in to_the_model for prefix in BOOKKEEPING_PREFIXES), to_the_model
    assert not [name for name in match.record.metadata if is_bookkeeping(name)]


# -- paging through a bank


async def test_iter_records_pages_through_a_bank_oldest_first(memory_brain: Astrocyte) -> None:
    await memory_brain.retain_many(
        [{"content": f"Note number {n}.", "metadata": {"even": n % 2 == 0}} for n in range(7)], "notes"
    )

    async def texts(**options: Any) -> list[str]:
        return [record.text async for record in iter_records(memory_brain, "notes", **options)]

    every = [f"Note number {n}." for n in range(7)]
    assert await texts() == every
    assert await texts(page=2) == every
    assert await texts(page=2, limit=3) == every[:3]
    assert await texts(limit=10) == every
    assert await texts(filter={"even": True}, page=3) == every[::2]
    assert await texts(context=ANN, filter={"even": False}) == every[1::2]


# -- a chat turn as a memory

KEYWORD_ONLY = {"weights": {"semantic": 0.0, "keyword": 1.0, "entity": 0.0}, "rerank": {"enabled": False}}
FILLER = ["Nice weather today.", "Work was busy.", "The bus was late.", "Lunch was good."]


def test_a_chat_turn_carries_the_keys_the_core_reads() -> None:
    turn = chat_turn("I moved to Lyon.", speaker="ann", thread="t1", role="user", key="k1", metadata={"n": 1})
    assert turn == {
        "content": "I moved to Lyon.",
        "key": "k1",
        "metadata": {"n": 1, "role": "user", "speaker": "ann", "session": "t1"},
    }
    assert chat_turn("A summary.", speaker=None, occurred_at="2024-05-01T10:00:00+00:00") == {
        "content": "A summary.",
        "metadata": {},
        "occurred_at": "2024-05-01T10:00:00+00:00",
    }
    with Astrocyte({"store": {"kind": "memory"}, "pipeline": {"context": {"speaker_keys": ["author"]}}}) as brain:
        assert chat_turn("Hi.", speaker="bo", brain=brain)["metadata"] == {"author": "bo"}
    with Astrocyte({"store": {"kind": "memory"}, "pipeline": {"context": {"thread_keys": []}}}) as brain:
        assert chat_turn("Hi.", speaker="bo", thread="t2", brain=brain)["metadata"]["session"] == "t2"


@pytest.mark.parametrize(("as_turns", "found"), [(True, True), (False, False)])
def test_chat_turns_give_recall_the_speaker_and_the_turn_before(as_turns: bool, found: bool) -> None:
    said = [("Tom", "How was the hike at Eagle Ridge?"), ("Maya", "We made it to the top!")]
    with Astrocyte({"store": {"kind": "memory"}, "pipeline": {"recall": KEYWORD_ONLY}}) as brain:
        brain.sync.retain_many(FILLER, "chat")
        items = [chat_turn(text, speaker=who, thread="s1", brain=brain) if as_turns else text for who, text in said]
        brain.sync.retain_many(items, "chat")
        hits = brain.sync.recall("What did Maya say about Eagle Ridge?", bank_id="chat", max_results=1).hits
    assert (hits[0].text == "We made it to the top!") is found


# -- offline stand-ins


def test_quote_answer_quotes_the_best_sentences_and_cites_their_passage() -> None:
    passages = ["Ann lives in Lyon. She sings.", "Bo lives in Oslo with Ann's cat."]
    both = "Ann lives in Lyon. [1] Bo lives in Oslo with Ann's cat. [2]"
    assert quote_answer("Where does Ann live?", passages) == both
    assert quote_answer("Where does Ann live?", passages, limit=1, cite=False) == "Ann lives in Lyon."
    assert quote_answer("Who plays the oboe?", passages) == NO_ANSWER
