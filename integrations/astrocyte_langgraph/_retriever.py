"""`AstrocyteRetriever`: a LangChain retriever over Astrocyte's hybrid recall, sync and async.

    from astrocyte_langgraph import AstrocyteRetriever

    retriever = AstrocyteRetriever(memory=brain, bank_id="user-ann", k=3)
    docs = retriever.invoke("Where does Ann live?")          # or: await retriever.ainvoke(...)
    docs[0].page_content, docs[0].metadata["score"]
    AstrocyteRetriever(memory=brain, card="agent_cards/langgraph-assistant.json")   # the card's banks and caller

It reads every memory of its banks, whoever wrote it (the checkpointer hooks, the store, another framework).
What it reads and as whom follow `astrocyte.adapters.bind_memory`, like the other adapters: a ScopedMemory as it is,
an Astrocyte with `bank_id` / `banks` / `context`, or an Astrocyte with an A2A agent `card`. A document's `id`
is the memory's id; its metadata is `astrocyte.adapters.hit_metadata`'s, as every adapter gives it: the memory's
own metadata plus `memory_id`, `bank_id`, `key`, `score`, `tags`, `source` and `occurred_at`. `filter` and
`require_tags` narrow recall like the core's `filter` and `tags`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import PrivateAttr

from astrocyte import Astrocyte, Context, RecallResult, ScopedMemory
from astrocyte.adapters import CardSource, bind_memory, hit_metadata


class AstrocyteRetriever(BaseRetriever):
    memory: Astrocyte | ScopedMemory
    bank_id: str | None = None
    banks: list[str] | None = None
    context: Context | None = None
    card: CardSource | None = None
    environment: str | None = None
    tenant: str | None = None
    k: int = 4
    filter: dict[str, Any] | None = None
    """A metadata filter, as in `Astrocyte.recall(filter=...)`."""
    require_tags: list[str] | None = None
    """Only memories carrying all these tags."""
    _scoped: ScopedMemory = PrivateAttr()

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        self._scoped = bind_memory(
            self.memory,
            self.bank_id,
            self.banks,
            self.context,
            card=self.card,
            environment=self.environment,
            tenant=self.tenant,
        )

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return _documents(self._scoped.brain.sync.run(self._recall(query)))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return _documents(await self._recall(query))

    async def _recall(self, query: str) -> RecallResult:
        return await self._scoped.recall(query, max_results=self.k, filter=self.filter, tags=self.require_tags)


def _documents(result: RecallResult) -> list[Document]:
    return [Document(page_content=hit.text, metadata=hit_metadata(hit), id=hit.id) for hit in result.hits]
