"""AutoGen `MemoryContent` to Astrocyte retains, and recall hits back to `MemoryContent`.

    retain_item(MemoryContent(content="Ann likes tea.", mime_type=MemoryMimeType.TEXT))
    # {'content': 'Ann likes tea.', 'content_type': 'text', 'metadata': None}

Text, markdown and JSON (a dict, or a string holding JSON) are supported; JSON keeps its value, so a recalled
JSON memory comes back as the dict it was. Any other MIME type is a ValidationError naming it.
"""

from __future__ import annotations

import json
from typing import Any

from autogen_core.memory import MemoryContent, MemoryMimeType

from astrocyte import RecallHit, ValidationError
from astrocyte.adapters import hit_metadata

_CONTENT_TYPES = {
    MemoryMimeType.TEXT.value: "text",
    MemoryMimeType.MARKDOWN.value: "markdown",
    MemoryMimeType.JSON.value: "json",
}
_MIME_TYPES = {content_type: mime for mime, content_type in _CONTENT_TYPES.items()}


def retain_item(content: MemoryContent) -> dict[str, Any]:
    """The `retain_many` item that stores `content`."""
    mime = content.mime_type.value if isinstance(content.mime_type, MemoryMimeType) else content.mime_type
    if mime not in _CONTENT_TYPES:
        raise ValidationError(
            f"MemoryContent mime_type {mime!r} is not supported by AstrocyteMemory; "
            f"use one of {', '.join(_CONTENT_TYPES)}"
        )
    if mime == MemoryMimeType.JSON.value:
        value = _json_value(content.content)
        text = json.dumps(value, ensure_ascii=False)
        return {"content": text, "value": value, "content_type": "json", "metadata": content.metadata}
    if not isinstance(content.content, str):
        raise ValidationError(
            f"MemoryContent of mime_type {mime!r}: content must be a string, got {type(content.content).__name__}"
        )
    return {"content": content.content, "content_type": _CONTENT_TYPES[mime], "metadata": content.metadata}


def memory_content(hit: RecallHit) -> MemoryContent:
    """A recalled memory as AutoGen content, with `astrocyte.adapters.hit_metadata` as its metadata (the memory's
    own metadata plus memory_id, bank_id, key, score, tags, source and occurred_at)."""
    record = hit.record
    mime = _MIME_TYPES.get(record.content_type, MemoryMimeType.TEXT.value)
    content = record.value if mime == MemoryMimeType.JSON.value and isinstance(record.value, dict) else record.text
    return MemoryContent(content=content, mime_type=MemoryMimeType(mime), metadata=hit_metadata(hit))


def _json_value(content: object) -> Any:
    if isinstance(content, dict):
        return content
    if isinstance(content, str):
        try:
            return json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"MemoryContent of mime_type 'application/json': not valid JSON: {exc}") from None
    raise ValidationError(
        f"MemoryContent of mime_type 'application/json': content must be a dict or a JSON string, "
        f"got {type(content).__name__}"
    )
