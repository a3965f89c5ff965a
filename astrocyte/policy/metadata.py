"""Metadata sanitising before storage: no secret-named keys, no oversized values, personal data per policy.

clean, warnings = sanitize_metadata({"api_key": "...", "note": "x" * 5000}, config.policy.metadata, barrier)
# clean == {"note": "xxxx...(1000 chars)"}; warnings name the dropped and cut keys, never their values
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from astrocyte.config import MetadataPolicyConfig
from astrocyte.errors import PiiRejected
from astrocyte.policy.pii import PiiBarrier


def sanitize_metadata(
    metadata: dict[str, Any], config: MetadataPolicyConfig, barrier: PiiBarrier | None = None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Return the metadata as it may be stored (the same dict when nothing changes) and one warning per change;
    raise PiiRejected as content would."""
    clean: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in metadata.items():
        pattern = _blocked_by(key, config.blocked_keys)
        if pattern is not None:
            warnings.append(f"metadata {key!r} dropped: its name matches {pattern!r} in policy.metadata.blocked_keys")
            continue
        if isinstance(value, str):
            value = _apply_pii(key, value, barrier, warnings)
            if len(value) > config.max_value_chars:
                value = value[: config.max_value_chars]
                warnings.append(
                    f"metadata {key!r} cut to {config.max_value_chars} characters (policy.metadata.max_value_chars)"
                )
        clean[key] = value
    if len(clean) == len(metadata) and all(clean[key] is value for key, value in metadata.items()):
        return metadata, ()
    return clean, tuple(warnings)


@lru_cache(maxsize=4096)
def _blocked_by(key: str, patterns: tuple[str, ...]) -> str | None:
    """The first pattern naming `key` as secret; remembered, since the same keys come with memory after memory."""
    lowered = key.lower()
    return next((pattern for pattern in patterns if fnmatchcase(lowered, pattern.lower())), None)


def _apply_pii(key: str, value: str, barrier: PiiBarrier | None, warnings: list[str]) -> str:
    # Before the cut, so a card number or key split at the limit is still recognised whole.
    if barrier is None:
        return value
    try:
        outcome = barrier.apply(value)
    except PiiRejected as exc:
        raise PiiRejected(f"metadata {key!r}: {exc}") from None
    warnings += [f"metadata {key!r}: {pii_type} redacted" for pii_type in outcome.redacted]
    warnings += [f"metadata {key!r}: contains {pii_type} (kept: policy warns)" for pii_type in outcome.warned]
    return outcome.text
