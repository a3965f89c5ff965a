"""`astrocyte.adapters`, the glue every framework adapter shares: binding a memory, a hit as framework metadata,
paging through a bank, a chat turn as a memory, and the model switch."""

from __future__ import annotations

import pytest

from astrocyte import Astrocyte, Context, ScopedMemory, ValidationError
from astrocyte.adapters import bind, bind_memory

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
