"""The policy gate every call passes before it touches storage: routing, access, rate limits and quotas,
personal data, metadata, legal hold, and the scrubbing of what leaves.

    gate = PolicyGate(config, llm=chat_model, audit=audit_log, telemetry=telemetry)
    requests, warnings = await gate.admit_retain(requests, context)
    gate.admit_read(["people"], context, "recall")

Whatever framework or backend is in use, the API calls this gate, so a policy holds everywhere or nowhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from astrocyte._requests import RetainRequest
from astrocyte.access import AccessPolicy
from astrocyte.config import AstrocyteConfig, Permission
from astrocyte.errors import AccessDenied, MipRoutingError, PiiRejected, RateLimited
from astrocyte.mip import MipRouter, RoutingDecision, WriteFacts
from astrocyte.models.base import ChatModel
from astrocyte.policy.audit import AuditLog
from astrocyte.policy.lifecycle import refuse_if_on_hold
from astrocyte.policy.metadata import sanitize_metadata
from astrocyte.policy.pii import PiiBarrier, PiiOutcome, contains_pii
from astrocyte.policy.ratelimit import RateLimiter
from astrocyte.telemetry import Telemetry
from astrocyte.types import Context, MemoryRecord, RecallHit, RecallResult, ReflectResult


class PolicyGate:
    def __init__(
        self,
        config: AstrocyteConfig,
        *,
        llm: ChatModel | None,
        audit: AuditLog,
        telemetry: Telemetry,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._config = config
        self._audit = audit
        self._telemetry = telemetry
        self.access = AccessPolicy(config.access, config.agents)
        self.pii = PiiBarrier(config.policy.pii)
        timed = {"clock": lambda: clock().timestamp(), "today": lambda: clock().astimezone(UTC).date()} if clock else {}
        self._limiter = RateLimiter(config.policy.rate_limits, config.policy.quotas, **timed)
        self.router = (
            MipRouter.from_file(config.mip.rules, llm=llm, pii_detector=contains_pii, clock=clock)
            if config.mip.rules
            else None
        )

    async def admit_retain(
        self, requests: Sequence[RetainRequest], context: Context | None
    ) -> tuple[list[RetainRequest], list[tuple[str, ...]]]:
        """Route, authorise and clean every request; refuse the whole batch if any one is refused."""
        principal = context.principal if context else None
        routed = [await self._route(request, context) for request in requests]
        for bank_id in dict.fromkeys(request.bank_id for request, _ in routed if request.bank_id):
            self._check(context, bank_id, "write", "retain")
            units = sum(1 for request, _ in routed if request.bank_id == bank_id)
            self._limit("retain", bank_id, principal, units)
        cleaned = [self._clean(request, decision, principal) for request, decision in routed]
        return [request for request, _ in cleaned], [warnings for _, warnings in cleaned]

    def admit_read(self, bank_ids: Sequence[str], context: Context | None, operation: str) -> None:
        for bank_id in bank_ids:
            self._check(context, bank_id, "read", operation)
            self._limit(operation, bank_id, context.principal if context else None, 1)

    def admit_forget(self, bank_id: str, context: Context | None) -> None:
        principal = context.principal if context else None
        self._check(context, bank_id, "forget", "forget")
        refuse_if_on_hold(self._config.lifecycle, bank_id, self._audit, principal)
        self._limit("forget", bank_id, principal, 1)

    def admit_import(self, records: Sequence[MemoryRecord], context: Context | None) -> list[MemoryRecord]:
        """Authorise and clean imported records like retained ones; refuse the whole file if one is refused."""
        principal = context.principal if context else None
        for bank_id in dict.fromkeys(record.bank_id for record in records):
            self._check(context, bank_id, "write", "import")
            self._limit("retain", bank_id, principal, sum(1 for record in records if record.bank_id == bank_id))
        return [self._clean_record(record, principal) for record in records]

    def scrub_recall(self, result: RecallResult) -> RecallResult:
        if not self._config.policy.pii.scan_output:
            return result
        return result.model_copy(update={"hits": tuple(self._scrub_hit(hit) for hit in result.hits)})

    def scrub_reflect(self, result: ReflectResult) -> ReflectResult:
        if not self._config.policy.pii.scan_output:
            return result
        return result.model_copy(
            update={
                "answer": self.pii.redact_all(result.answer),
                "citations": tuple(self._scrub_hit(hit) for hit in result.citations),
                "hits": tuple(self._scrub_hit(hit) for hit in result.hits),
            }
        )

    def scrub_records(self, records: list[MemoryRecord]) -> list[MemoryRecord]:
        if not self._config.policy.pii.scan_output:
            return records
        return [record.model_copy(update={"text": self.pii.redact_all(record.text)}) for record in records]

    async def _route(
        self, request: RetainRequest, context: Context | None
    ) -> tuple[RetainRequest, RoutingDecision | None]:
        if self.router is None:
            return request, None
        decision = await self.router.route(
            WriteFacts(
                content=request.content,
                content_type=request.content_type,
                source=request.source,
                tags=request.tags,
                metadata=request.metadata or {},
                principal=_principal_facts(context),
                requested_bank=request.bank_id,
            )
        )
        self._audit.record(
            "mip_routed",
            rule=decision.rule,
            via=decision.via,
            bank_id=decision.bank_id,
            retain_policy=decision.retain_policy,
            shadow=[list(match) for match in decision.shadow],
            principal=context.principal if context else None,
        )
        if decision.retain_policy == "reject":
            raise MipRoutingError(f"rule {decision.rule!r} rejects this write; nothing was stored")
        pipeline = self._config.pipeline
        return (
            dataclasses.replace(
                request,
                bank_id=decision.bank_id,
                tags=decision.tags,
                chunking=pipeline.chunking.model_copy(update=decision.chunking) if decision.chunking else None,
                dedup=pipeline.dedup.model_copy(update=decision.dedup) if decision.dedup else None,
            ),
            decision,
        )

    def _clean(
        self, request: RetainRequest, decision: RoutingDecision | None, principal: str | None
    ) -> tuple[RetainRequest, tuple[str, ...]]:
        force = decision is not None and decision.retain_policy == "redact"
        try:
            content = self.pii.apply(request.content, force_redact=force)
            value, value_pii = self.pii.apply_json(request.value, force_redact=force)
            given = request.metadata or {}
            metadata, warnings = sanitize_metadata(given, self._config.policy.metadata, self.pii)
        except PiiRejected as exc:
            self._audit.record("pii_rejected", bank_id=request.bank_id, principal=principal, reason=str(exc))
            self._telemetry.pii_detected("any", "reject")
            raise
        notes = list(warnings)
        for outcome in (content, value_pii):
            notes += self._report_pii(outcome, request.bank_id, principal)
        if content.text is request.content and value is request.value and metadata is given:
            return request, tuple(notes)
        cleaned = dataclasses.replace(request, content=content.text, value=value, metadata=metadata)
        return cleaned, tuple(notes)

    def _clean_record(self, record: MemoryRecord, principal: str | None) -> MemoryRecord:
        request = RetainRequest(
            content=record.text, bank_id=record.bank_id, value=record.value, metadata=record.metadata
        )
        cleaned, _ = self._clean(request, None, principal)
        return record.model_copy(update={"text": cleaned.content, "value": cleaned.value, "metadata": cleaned.metadata})

    def _report_pii(self, outcome: PiiOutcome, bank_id: str | None, principal: str | None) -> list[str]:
        for pii_type in outcome.redacted:
            self._telemetry.pii_detected(pii_type, "redact")
        for pii_type in outcome.warned:
            self._telemetry.pii_detected(pii_type, "warn")
        if outcome.redacted or outcome.warned:
            self._audit.record(
                "pii",
                bank_id=bank_id,
                principal=principal,
                redacted=list(outcome.redacted),
                warned=list(outcome.warned),
            )
        notes = [f"redacted {pii_type}" for pii_type in outcome.redacted]
        return notes + [f"contains {pii_type} (kept: policy warns)" for pii_type in outcome.warned]

    def _check(self, context: Context | None, bank_id: str, permission: Permission, operation: str) -> None:
        try:
            self.access.check(context, bank_id, permission)
        except AccessDenied:
            self._audit.record(
                "access_denied",
                bank_id=bank_id,
                operation=operation,
                principal=context.principal if context else None,
                on_behalf_of=context.on_behalf_of if context else None,
            )
            raise

    def _limit(self, operation: str, bank_id: str, principal: str | None, units: int) -> None:
        try:
            self._limiter.check(operation=operation, bank_id=bank_id, principal=principal, units=units)  # type: ignore[arg-type]
        except RateLimited:
            self._telemetry.rate_limited(operation)
            self._audit.record("rate_limited", bank_id=bank_id, operation=operation, principal=principal)
            raise

    def _scrub_hit(self, hit: RecallHit) -> RecallHit:
        return hit.model_copy(update={"record": hit.record.model_copy(update={"text": self.pii.redact_all(hit.text)})})


def _principal_facts(context: Context | None) -> dict[str, str | None]:
    if context is None or context.principal is None:
        return {}
    kind, _, name = context.principal.partition(":")
    return {
        "id": context.principal,
        "kind": kind,
        "name": name,
        "tenant": context.tenant,
        "environment": context.environment,
        "on_behalf_of": context.on_behalf_of,
    }
