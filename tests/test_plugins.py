"""Plug-ins by name: an embedder, a chat model or a store of the user's own, named in config by import path or
entry point, built with the section's options, and refused with a ConfigError that says what to fix."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from astrocyte import Astrocyte, ConfigError
from astrocyte.models.base import ChatModel, Embedder, Message
from astrocyte.testing import OfflineEmbedder


class ScaledEmbedder(Embedder):
    """The offline embedder at another size, counting its calls."""

    calls = 0

    def __init__(self, size: int) -> None:
        self._inner = OfflineEmbedder(dimensions=size)
        self.dimensions = size

    @property
    def identity(self) -> str:
        return f"scaled-{self.dimensions}"

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        ScaledEmbedder.calls += 1
        return await self._inner.embed(texts)


class Parrot(ChatModel):
    name = "parrot"

    def __init__(self, word: str = "squawk") -> None:
        self.word = word

    async def complete(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> str:
        return f"{self.word} [1]"


class NotAModel:
    pass


@pytest.fixture
def entry_points(tmp_path: Path) -> Iterator[None]:
    """An installed distribution that declares one plug-in of each kind (a dist-info folder on sys.path)."""
    info = tmp_path / "astrocyte_plugins_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: astrocyte-plugins-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[astrocyte.embedders]\nscaled = tests.test_plugins:ScaledEmbedder\n"
        "[astrocyte.llms]\nparrot = tests.test_plugins:Parrot\n"
        "[astrocyte.stores]\nscratch = astrocyte.stores.memory:InMemoryStore\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))


def test_an_embedder_chat_model_and_store_named_by_import_path_are_built_with_their_options() -> None:
    config = {
        "store": {"kind": "astrocyte.stores.memory:InMemoryStore"},
        "embedder": {"provider": "tests.test_plugins:ScaledEmbedder", "options": {"size": 64}},
        "llm": {"provider": "tests.test_plugins:Parrot", "options": {"word": "polly"}},
    }
    with Astrocyte(config) as brain:
        built = sys.modules["tests.test_plugins"].ScaledEmbedder  # the class the config named, as imported
        before = built.calls
        brain.sync.retain("Bob plays the cello.", bank_id="people")
        assert brain.sync.recall("Who plays the cello?", bank_id="people").hits[0].text == "Bob plays the cello."
        assert brain.sync.reflect("Who plays the cello?", bank_id="people").answer.startswith("polly")
        assert built.calls > before


def test_plug_ins_named_by_entry_point(entry_points: None) -> None:
    config = {
        "store": {"kind": "scratch"},
        "embedder": {"provider": "scaled", "options": {"size": 32}},
        "llm": {"provider": "parrot"},
    }
    with Astrocyte(config) as brain:
        brain.sync.retain("Ann drinks green tea.", bank_id="people")
        assert brain.sync.recall("green tea", bank_id="people").hits
        assert brain.sync.reflect("What does Ann drink?", bank_id="people").answer.startswith("squawk")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"embedder": {"provider": "word2vec"}}, r"embedder.provider: 'word2vec' is not one of offline, litellm"),
        ({"llm": {"provider": "gpt"}}, r"'package.module:Class' or an entry point in 'astrocyte.llms'"),
        ({"store": {"kind": "redis"}}, r"store.kind: 'redis' is not one of embedded, memory"),
        ({"store": {"kind": "memory", "options": {"size": 1}}}, r"store.options is for plug-ins"),
        (
            {"llm": {"provider": "tests.test_plugins:Missing"}},
            r"llm.provider: cannot load 'tests.test_plugins:Missing'",
        ),
        ({"llm": {"provider": "tests.test_plugins:NotAModel"}}, r"made a NotAModel, not a ChatModel; subclass"),
        ({"embedder": {"provider": "tests.test_plugins:ScaledEmbedder"}}, r"does not take these options"),
    ],
)
def test_a_plug_in_that_cannot_be_used_is_refused_with_the_fix(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Astrocyte({"store": {"kind": "memory"}} | section)
