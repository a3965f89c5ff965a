"""The model layer, offline: the hashing embedder, litellm through its mocks, sentence-transformers faked."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from astrocyte.errors import ConfigError, ProviderUnavailable
from astrocyte.models.base import Message
from astrocyte.models.litellm_models import LiteLLMChatModel, LiteLLMEmbedder
from astrocyte.models.offline_embedder import OfflineEmbedder
from astrocyte.models.sentence_transformer import SentenceTransformerEmbedder

REPO_ROOT = Path(__file__).resolve().parents[1]


async def cosine(embedder: OfflineEmbedder, first: str, second: str) -> float:
    vectors = await embedder.embed([first, second])
    return float(vectors[0] @ vectors[1])


# OfflineEmbedder


async def test_offline_vectors_are_unit_float32_rows() -> None:
    vectors = await OfflineEmbedder().embed(["Alice lives in Paris", "Bob plays the cello on Sundays"])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


async def test_offline_vectors_are_the_same_from_two_instances() -> None:
    texts = ["Alice moved to Paris in 2023", "The cat sat on the mat"]
    first, second = await OfflineEmbedder().embed(texts), await OfflineEmbedder().embed(texts)
    np.testing.assert_array_equal(first, second)


async def test_offline_vectors_are_the_same_in_another_process_with_another_hash_seed() -> None:
    text = "Alice moved to Paris in 2023"
    script = (
        "import asyncio, json; from astrocyte.models.offline_embedder import OfflineEmbedder; "
        f"print(json.dumps(asyncio.run(OfflineEmbedder().embed([{text!r}]))[0].tolist()))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": "4321"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    in_subprocess = np.asarray(json.loads(result.stdout), dtype=np.float32)
    np.testing.assert_array_equal(in_subprocess, (await OfflineEmbedder().embed([text]))[0])


async def test_a_question_sharing_stems_is_closer_than_an_unrelated_sentence() -> None:
    embedder = OfflineEmbedder()
    related = await cosine(embedder, "Alice moved to Paris", "Where did Alice move?")
    unrelated = await cosine(embedder, "Alice moved to Paris", "The quarterly budget report is due on Friday")
    assert related > 0.5
    assert related > unrelated + 0.4


@pytest.mark.parametrize(("first", "second"), [("running", "runs"), ("happiness", "happy"), ("children", "child")])
async def test_morphological_variants_overlap(first: str, second: str) -> None:
    embedder = OfflineEmbedder()
    assert await cosine(embedder, first, second) > 0.15
    assert await cosine(embedder, first, second) > await cosine(embedder, first, "umbrella")


async def test_a_typo_still_overlaps() -> None:
    embedder = OfflineEmbedder()
    typo = await cosine(embedder, "dinner at the restaurant", "dinner at the resturant")
    assert await cosine(embedder, "restaurant", "resturant") > 0.15
    assert await cosine(embedder, "dinner at the restaurant", "dinner at home") < typo < 1.0


async def test_text_without_content_words_is_a_zero_vector() -> None:
    vectors = await OfflineEmbedder().embed(["", "   ", "?!", "the and of"])
    assert vectors.shape == (4, 384)
    assert not vectors.any()


async def test_no_texts_give_an_empty_matrix() -> None:
    vectors = await OfflineEmbedder(dimensions=64).embed([])
    assert vectors.shape == (0, 64)


async def test_dimensions_set_the_vector_size_and_the_identity() -> None:
    small, default = OfflineEmbedder(dimensions=128), OfflineEmbedder()
    assert (await small.embed(["Alice"])).shape == (1, 128)
    assert small.identity == "offline-hash-v1-128"
    assert default.identity == "offline-hash-v1-384"


@pytest.mark.parametrize("dimensions", [0, -3, 2.5, True])
def test_dimensions_must_be_a_positive_integer(dimensions: Any) -> None:
    with pytest.raises(ConfigError, match="dimensions"):
        OfflineEmbedder(dimensions=dimensions)


# LiteLLMChatModel


@pytest.fixture
def litellm(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return importlib.import_module("litellm")


class RecordingCall:
    """Stands in for litellm.acompletion / litellm.aembedding, remembering each call's keyword arguments."""

    def __init__(self, respond: Any) -> None:
        self.respond = respond
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.respond(**kwargs)


async def test_a_reply_without_text_is_an_empty_answer(
    litellm: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    reply = {"message": {"content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}
    monkeypatch.setattr(litellm, "acompletion", RecordingCall(lambda **kwargs: litellm.ModelResponse(choices=[reply])))
    model = LiteLLMChatModel("gpt-4o-mini")
    assert await model.complete([Message("user", "Where does Alice live?")]) == ""
    assert model.name == "gpt-4o-mini"


async def test_chat_model_sends_messages_defaults_and_per_call_overrides(
    litellm: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = RecordingCall(lambda **kwargs: litellm.ModelResponse(choices=[{"message": {"content": "ok"}}]))
    monkeypatch.setattr(litellm, "acompletion", fake)
    model = LiteLLMChatModel(
        "ollama/llama3.1", temperature=0.3, max_tokens=50, api_base="http://localhost:11434", timeout=7
    )
    messages = [Message("system", "Be brief."), Message("user", "Hi")]

    assert await model.complete(messages) == "ok"
    assert await model.complete(messages, max_tokens=5, temperature=0.9) == "ok"

    first, second = fake.calls
    assert first["model"] == "ollama/llama3.1"
    assert first["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert (first["temperature"], first["max_tokens"]) == (0.3, 50)
    assert (first["api_base"], first["timeout"]) == ("http://localhost:11434", 7)
    assert "api_key" not in first
    assert (second["temperature"], second["max_tokens"]) == (0.9, 5)


async def test_a_litellm_connection_error_becomes_provider_unavailable(litellm: types.ModuleType) -> None:
    refused = litellm.APIConnectionError(message="connection refused", llm_provider="openai", model="gpt-4o-mini")
    model = LiteLLMChatModel("gpt-4o-mini", api_base="http://localhost:9999", mock_response=refused)
    with pytest.raises(ProviderUnavailable, match="gpt-4o-mini") as caught:
        await model.complete([Message("user", "Hi")])
    assert "connection refused" in str(caught.value)
    assert "api_base http://localhost:9999" in str(caught.value)
    assert caught.value.__cause__ is refused


async def test_an_authentication_error_names_the_missing_key_variable(
    litellm: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    async def reject(**kwargs: Any) -> None:
        raise litellm.AuthenticationError(message="no key", llm_provider="openai", model=kwargs["model"])

    monkeypatch.setattr(litellm, "acompletion", reject)
    with pytest.raises(ProviderUnavailable, match=r"'gpt-4o-mini'.*AuthenticationError.*OPENAI_API_KEY"):
        await LiteLLMChatModel("gpt-4o-mini").complete([Message("user", "Hi")])


async def test_a_rate_limit_says_to_retry_later() -> None:
    model = LiteLLMChatModel("gpt-4o-mini", mock_response="litellm.RateLimitError")
    with pytest.raises(ProviderUnavailable, match="retry later"):
        await model.complete([Message("user", "Hi")])


def test_chat_model_needs_a_model_name() -> None:
    with pytest.raises(ConfigError, match="model"):
        LiteLLMChatModel(" ")


# LiteLLMEmbedder


def embedding_response(litellm: types.ModuleType, vectors: list[list[float]]) -> Any:
    """Shaped like litellm's answer: items carry their index, and may arrive out of order."""
    items = [{"object": "embedding", "index": i, "embedding": vector} for i, vector in enumerate(vectors)]
    return litellm.EmbeddingResponse(model="fake", data=list(reversed(items)))


@pytest.fixture
def fake_embedding(litellm: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> RecordingCall:
    """Embeds a text as [its length, 1, 0]: never unit length, so normalisation shows."""
    fake = RecordingCall(
        lambda **kwargs: embedding_response(litellm, [[float(len(text)), 1.0, 0.0] for text in kwargs["input"]])
    )
    monkeypatch.setattr(litellm, "aembedding", fake)
    return fake


async def test_embedder_normalises_rows_and_keeps_the_input_order(fake_embedding: RecordingCall) -> None:
    texts = ["a", "Alice", "Alice lives in Paris"]
    vectors = await LiteLLMEmbedder("text-embedding-3-small", dimensions=3).embed(texts)
    expected = np.array([[len(text), 1.0, 0.0] for text in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)


async def test_embedder_sends_batches_of_batch_size(fake_embedding: RecordingCall) -> None:
    texts = [f"memory number {i}" for i in range(5)]
    vectors = await LiteLLMEmbedder("text-embedding-3-small", dimensions=3, batch_size=2).embed(texts)
    assert [call["input"] for call in fake_embedding.calls] == [texts[0:2], texts[2:4], texts[4:5]]
    assert vectors.shape == (5, 3)


async def test_blank_texts_get_zero_vectors_without_a_call(fake_embedding: RecordingCall) -> None:
    vectors = await LiteLLMEmbedder("text-embedding-3-small", dimensions=3).embed(["", "Alice", "  "])
    assert [call["input"] for call in fake_embedding.calls] == [["Alice"]]
    assert not vectors[[0, 2]].any()
    assert np.linalg.norm(vectors[1]) == pytest.approx(1.0)
    assert (await LiteLLMEmbedder("m", dimensions=3).embed([])).shape == (0, 3)
    assert len(fake_embedding.calls) == 1


async def test_a_vector_of_another_size_is_a_config_error(fake_embedding: RecordingCall) -> None:
    with pytest.raises(ConfigError, match=r"dimensions.*returns 3-dimensional.*dimensions=3"):
        await LiteLLMEmbedder("text-embedding-3-small", dimensions=1536).embed(["Alice"])


async def test_dimensions_are_sent_to_the_provider_only_when_requested(fake_embedding: RecordingCall) -> None:
    await LiteLLMEmbedder("text-embedding-3-small", dimensions=3).embed(["Alice"])
    await LiteLLMEmbedder("text-embedding-3-small", dimensions=3, request_dimensions=True).embed(["Alice"])
    assert "dimensions" not in fake_embedding.calls[0]
    assert fake_embedding.calls[1]["dimensions"] == 3


async def test_embedder_passes_api_base_key_and_extra_kwargs(fake_embedding: RecordingCall) -> None:
    embedder = LiteLLMEmbedder("openai/bge-m3", 3, api_base="http://gpu:8000/v1", api_key="sk-test", timeout=3)
    await embedder.embed(["Alice"])
    call = fake_embedding.calls[0]
    assert (call["model"], call["api_base"], call["api_key"], call["timeout"]) == (
        "openai/bge-m3",
        "http://gpu:8000/v1",
        "sk-test",
        3,
    )
    assert embedder.identity == "litellm:openai/bge-m3:3"


async def test_an_embedding_error_becomes_provider_unavailable(
    litellm: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(**kwargs: Any) -> None:
        raise litellm.APIConnectionError(message="refused", llm_provider="openai", model=kwargs["model"])

    monkeypatch.setattr(litellm, "aembedding", refuse)
    with pytest.raises(ProviderUnavailable, match=r"'text-embedding-3-small'.*refused"):
        await LiteLLMEmbedder("text-embedding-3-small", dimensions=3).embed(["Alice"])


@pytest.mark.parametrize("field", ["dimensions", "batch_size"])
def test_embedder_sizes_must_be_positive(field: str) -> None:
    sizes = {"dimensions": 3, "batch_size": 8} | {field: 0}
    with pytest.raises(ConfigError, match=field):
        LiteLLMEmbedder("text-embedding-3-small", **sizes)


# SentenceTransformerEmbedder


def test_missing_sentence_transformers_is_a_config_error_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ConfigError, match=r'pip install "astrocyte\[sentence-transformers\]"'):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2")


class FakeSentenceTransformer:
    """In-process stand-in for sentence_transformers.SentenceTransformer."""

    instances: ClassVar[list[FakeSentenceTransformer]] = []

    def __init__(self, model_name_or_path: str, device: str | None = None) -> None:
        if model_name_or_path == "no/such-model":
            raise OSError("no/such-model is not a valid model identifier")
        self.model_name_or_path, self.device = model_name_or_path, device
        self.encode_calls: list[tuple[list[str], dict[str, Any], int]] = []
        FakeSentenceTransformer.instances.append(self)

    def get_embedding_dimension(self) -> int:
        return 2

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.encode_calls.append((texts, kwargs, threading.get_ident()))
        return np.array([[0.6, 0.8]] * len(texts), dtype=np.float64)


class LegacySentenceTransformer(FakeSentenceTransformer):
    get_embedding_dimension = None  # type: ignore[assignment]

    def get_sentence_embedding_dimension(self) -> int:
        return 5


@pytest.fixture
def fake_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = FakeSentenceTransformer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    FakeSentenceTransformer.instances = []
    return module


async def test_sentence_transformer_encodes_normalised_in_a_worker_thread(
    fake_sentence_transformers: types.ModuleType,
) -> None:
    embedder = SentenceTransformerEmbedder("BAAI/bge-small-en-v1.5", device="cpu", batch_size=8)
    vectors = await embedder.embed(["Alice", "Bob"])

    (model,) = FakeSentenceTransformer.instances
    assert (model.model_name_or_path, model.device) == ("BAAI/bge-small-en-v1.5", "cpu")
    (texts, kwargs, thread_id) = model.encode_calls[0]
    assert texts == ["Alice", "Bob"]
    assert kwargs["normalize_embeddings"] is True
    assert kwargs["batch_size"] == 8
    assert thread_id != threading.get_ident()
    assert vectors.shape == (2, 2)
    assert vectors.dtype == np.float32
    assert embedder.dimensions == 2
    assert embedder.identity == "sentence-transformers:BAAI/bge-small-en-v1.5:2"
    assert (await embedder.embed([])).shape == (0, 2)


def test_sentence_transformer_reads_the_dimension_from_older_releases(
    fake_sentence_transformers: types.ModuleType,
) -> None:
    fake_sentence_transformers.SentenceTransformer = LegacySentenceTransformer  # type: ignore[attr-defined]
    assert SentenceTransformerEmbedder("old-model").dimensions == 5


def test_a_model_that_cannot_load_is_provider_unavailable(
    fake_sentence_transformers: types.ModuleType,
) -> None:
    with pytest.raises(ProviderUnavailable, match="no/such-model"):
        SentenceTransformerEmbedder("no/such-model")


async def test_a_real_sentence_transformer_model_from_the_local_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    try:
        embedder = SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    except ProviderUnavailable as exc:
        pytest.skip(f"the model is not in the local Hugging Face cache: {exc}")
    vectors = await embedder.embed(["Alice moved to Paris", "Where did Alice move?", "Quarterly budget"])
    assert vectors.shape == (3, embedder.dimensions)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
