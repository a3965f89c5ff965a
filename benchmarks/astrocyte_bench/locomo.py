"""The held-out public benchmark: LoCoMo's `locomo10.json`, read into the same `Dataset` as the synthetic one.

    dataset, notes = load_locomo(Path("locomo10.json"))   # from github.com/snap-research/locomo, data/
    evaluate(dataset, FULL).overall.recall_any[10]

This project neither ships nor downloads the file (`astrocyte bench --locomo PATH` takes a copy you fetched), so
tuning never sees it. Each sample is a conversation between `speaker_a` and `speaker_b` in dated sessions
(`session_<n>` with `session_<n>_date_time`, e.g. "1:56 pm on 8 May, 2023"); each turn has a `dia_id` ("D1:3")
that the questions' `evidence` lists name. Question categories map to this project's kinds as LoCoMo's paper
counts them: 1 multi-hop, 2 temporal, 3 open-domain (the paraphrase column), 4 single-hop. Category 5 is
adversarial (nothing in the conversation answers it), so there is no evidence to recall and it is left out, as
are questions whose evidence names no turn of their conversation; the notes say how many. A turn that shared a
photo keeps the photo's caption after its text, since the caption is often what a question asks about.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from astrocyte_bench.dataset import Conversation, Dataset, Question, QuestionKind, Session, Turn

SPLIT = "locomo"
KINDS: Mapping[int, QuestionKind] = {1: "multi-hop", 2: "temporal", 3: "paraphrase", 4: "single-hop"}
_ADVERSARIAL = 5
_DATE_FORMAT = "%I:%M %p on %d %B, %Y"
_SESSION = re.compile(r"session_(\d+)")
_DIALOG_ID = re.compile(r"D\d+:\d+")


class LocomoFormatError(ValueError):
    """The file is not LoCoMo's `locomo10.json` format; the message names the sample and field at fault."""


def load_locomo(path: Path) -> tuple[Dataset, list[str]]:
    """The conversations and answerable questions of a LoCoMo file, and notes on what was left out."""
    try:
        samples = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LocomoFormatError(f"{path}: cannot read it as JSON ({exc}); pass LoCoMo's data/locomo10.json") from exc
    if not isinstance(samples, list) or not samples:
        raise LocomoFormatError(f"{path}: expected a JSON list of samples, as in LoCoMo's data/locomo10.json")
    left_out: Counter[str] = Counter()
    conversations = tuple(_conversation(sample, number, left_out) for number, sample in enumerate(samples))
    notes = [f"LoCoMo: {count} question(s) left out: {reason}" for reason, count in sorted(left_out.items())]
    return Dataset(SPLIT, conversations), notes


def _conversation(sample: Any, number: int, left_out: Counter[str]) -> Conversation:
    name = f"sample {number}"
    body = _field(sample, "conversation", dict, name)
    name = str(sample.get("sample_id") or f"locomo-{number}")
    speakers = (_field(body, "speaker_a", str, name), _field(body, "speaker_b", str, name))
    numbered = sorted(int(match[1]) for key in body if (match := _SESSION.fullmatch(key)))
    sessions = tuple(_session(body, name, position, session) for position, session in enumerate(numbered, 1))
    by_dialog = {turn.id.removeprefix(f"{name}:"): turn.id for session in sessions for turn in session.turns}
    questions = []
    for index, qa in enumerate(_field(sample, "qa", list, name)):
        question = _question(qa, index, name, by_dialog, left_out)
        if question is not None:
            questions.append(question)
    return Conversation(name, speakers, sessions, tuple(questions))


def _session(body: Mapping[str, Any], name: str, position: int, number: int) -> Session:
    key = f"session_{number}"
    stamp = _field(body, f"{key}_date_time", str, name)
    try:
        when = datetime.strptime(stamp.strip(), _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise LocomoFormatError(f"{name}: {key}_date_time {stamp!r} is not like '1:56 pm on 8 May, 2023'") from exc
    turns = tuple(_turn(turn, name, position, index) for index, turn in enumerate(_field(body, key, list, name), 1))
    return Session(position, when, turns)


def _turn(turn: Any, name: str, session: int, index: int) -> Turn:
    where = f"{name} session {session} turn {index}"
    text = _field(turn, "text", str, where)
    caption = turn.get("blip_caption")
    if isinstance(caption, str) and caption.strip():
        text = f"{text} (shared a photo: {caption.strip()})"
    dialog, speaker = _field(turn, "dia_id", str, where), _field(turn, "speaker", str, where)
    return Turn(f"{name}:{dialog}", session, index, speaker, text)


def _question(qa: Any, index: int, name: str, by_dialog: Mapping[str, str], left_out: Counter[str]) -> Question | None:
    where = f"{name} qa {index}"
    category = _field(qa, "category", int, where)
    if category == _ADVERSARIAL:
        left_out["adversarial (category 5): nothing in the conversation answers them"] += 1
        return None
    if category not in KINDS:
        raise LocomoFormatError(f"{where}: category {category!r}; LoCoMo's are 1 to 5")
    named = _DIALOG_ID.findall(" ".join(str(entry) for entry in qa.get("evidence") or []))
    evidence = tuple(dict.fromkeys(by_dialog[dialog] for dialog in named if dialog in by_dialog))
    if not evidence:
        left_out["their evidence names no turn of the conversation"] += 1
        return None
    text = _field(qa, "question", str, where)
    return Question(f"{name}:q{index:03d}", KINDS[category], text, str(qa.get("answer", "")), evidence)


def _field(container: Any, key: str, kind: type, where: str) -> Any:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LocomoFormatError(f"{where}: {key!r} should be a {kind.__name__}, got {type(value).__name__}")
    return value
