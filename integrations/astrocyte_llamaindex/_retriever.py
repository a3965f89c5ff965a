"""`AstrocyteRetriever`: a LlamaIndex retriever over Astrocyte memory banks, through the full policy layer.

    from llama_index.core.query_engine import RetrieverQueryEngine
    from astrocyte import Astrocyte
    from astrocyte_llamaindex import AstrocyteRetriever

    brain = Astrocyte()
    retriever = AstrocyteRetriever(brain, bank_id="people", max_results=5)
    nodes = retriever.retrieve("Where does Alice live?")       # NodeWithScore: text, score, metadata, id
    engine = RetrieverQueryEngine.from_args(retriever, llm=llm)
    print(engine.query("Where does Alice live?"))

Each node's id is the memory id and its score the recall score; its metadata is
`astrocyte.adapters.hit_metadata`'s, as every adapter gives it: the memory's own metadata plus `memory_id`,
`bank_id`, `key`, `score`, `tags`, `source` and `occurred_at`. Only the memory's own metadata (without adapter
bookkeeping) and `occurred_at` are shown to the LLM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from astrocyte import Astrocyte, Context, RecallHit, RecallResult, ScopedMemory
from astrocyte.adapters import HIT_FIELDS, CardSource, bind_memory, hit_metadata, is_bookkeeping

_HIDDEN_FROM_LLM = [field for field in HIT_FIELDS if field != "occurred_at"]


class AstrocyteRetriever(BaseRetriever):
    """Recall from Astrocyte as LlamaIndex nodes; sync `retrieve` and async `aretrieve` both supported."""

    def __init__(
        self,
        memory: Astrocyte | ScopedMemory,
        *,
        bank_id: str | None = None,
        banks: Sequence[str] | None = None,
        context: Context | Mapping[str, Any] | None = None,
        card: CardSource | None = None,
        max_results: int = 10,
        tags: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.memory = bind_memory(memory, bank_id, banks, context, card=card)
        self.max_results = max_results
        self.tags = tags
        self.filter = filter

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _nodes(self.memory.sync.recall(query_bundle.query_str, **self._options()))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _nodes(await self.memory.recall(query_bundle.query_str, **self._options()))

    def _options(self) -> dict[str, Any]:
        return {"max_results": self.max_results, "tags": self.tags, "filter": self.filter}


def _nodes(result: RecallResult) -> list[NodeWithScore]:
    return [NodeWithScore(node=_node(hit), score=hit.score) for hit in result.hits]


def _node(hit: RecallHit) -> TextNode:
    metadata = hit_metadata(hit)
    return TextNode(
        id_=hit.id,
        text=hit.text,
        metadata=metadata,
        excluded_llm_metadata_keys=[*_HIDDEN_FROM_LLM, *(name for name in metadata if is_bookkeeping(name))],
        excluded_embed_metadata_keys=list(metadata),
    )
