from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from datetime import date, timedelta
from pathlib import Path

import pytest

from astrocyte.config import MetadataPolicyConfig, PiiConfig, QuotasConfig, RateLimit, RateLimitsConfig
from astrocyte.errors import CircuitOpen, PiiRejected, ProviderUnavailable, RateLimited, ValidationError
from astrocyte.policy.breaker import CircuitBreaker
from astrocyte.policy.metadata import sanitize_metadata
from astrocyte.policy.outbox import RetainOutbox
from astrocyte.policy.pii import PiiBarrier, PiiMatch, contains_pii, detect_pii
from astrocyte.policy.ratelimit import RateLimiter

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxyz\n-----END RSA PRIVATE KEY-----"


def found(text: str) -> list[tuple[str, str]]:
    return [(match.type, text[match.start : match.end]) for match in detect_pii(text)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- detection ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pii_type", "value"),
    [
        ("write to ann.lee+work@example.co.uk today", "email", "ann.lee+work@example.co.uk"),
        ("card 4111 1111 1111 1111 expires", "credit_card", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111.", "credit_card", "4111-1111-1111-1111"),
        ("card 4111111111111111", "credit_card", "4111111111111111"),
        ("amex 3782 822463 10005", "credit_card", "3782 822463 10005"),
        ("iban GB82 WEST 1234 5698 7654 32 please", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("iban DE89370400440532013000", "iban", "DE89370400440532013000"),
        ("ssn 123-45-6789", "ssn", "123-45-6789"),
        ("call +1 (555) 123-4567", "phone", "+1 (555) 123-4567"),
        ("call +44 20 7946 0958", "phone", "+44 20 7946 0958"),
        ("call +33 1 23 45 67 89", "phone", "+33 1 23 45 67 89"),
        ("call +15551234567", "phone", "+15551234567"),
        ("call (555) 123-4567", "phone", "(555) 123-4567"),
        ("call 555.123.4567", "phone", "555.123.4567"),
        ("call 1-800-555-0199", "phone", "1-800-555-0199"),
        ("call 020 7946 0958", "phone", "020 7946 0958"),
        ("call 06 12 34 56 78", "phone", "06 12 34 56 78"),
        ("host 192.168.1.10:8080", "ip_address", "192.168.1.10"),
        ("host 2001:db8::8a2e:370:7334 up", "ip_address", "2001:db8::8a2e:370:7334"),
        ("loopback ::1.", "ip_address", "::1"),
        ("mapped ::ffff:192.0.2.1", "ip_address", "::ffff:192.0.2.1"),
        ("key sk-proj-abc123DEF456ghi789JKL012mno", "secret", "sk-proj-abc123DEF456ghi789JKL012mno"),
        ("aws AKIAIOSFODNN7EXAMPLE", "secret", "AKIAIOSFODNN7EXAMPLE"),
        ("gh ghp_" + "a1" * 18, "secret", "ghp_" + "a1" * 18),
        ("gh github_pat_11ABCDEFG0123456789_abcdefghij", "secret", "github_pat_11ABCDEFG0123456789_abcdefghij"),
        ("slack xoxb-1234567890-abcdefghij", "secret", "xoxb-1234567890-abcdefghij"),
        ("google AIza" + "Sy0" * 11 + "AB", "secret", "AIza" + "Sy0" * 11 + "AB"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "secret", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("stripe rk_live_4eC39HqLyjWDarjtT1zdp7dc", "secret", "rk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        (f"token {JWT}", "secret", JWT),
        (f"key:\n{PRIVATE_KEY}\nend", "secret", PRIVATE_KEY),
        ("Authorization: Bearer abc123def456ghi789jkl", "secret", "abc123def456ghi789jkl"),
        ("password = hunter2", "secret", "hunter2"),
        ("Password: swordfish", "secret", "swordfish"),
        ('{"api_key": "abc123xyz"}', "secret", "abc123xyz"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "secret", "wJalrXUtnFEMI/K7MDENG"),
        ("clientSecret: 'abc-def-ghi'", "secret", "abc-def-ghi"),
        ("key = abcd1234", "secret", "abcd1234"),
        ("dsn postgres://admin:s3cr3t@db.local/app", "secret", "s3cr3t"),
    ],
)
def test_detects_each_type(text: str, pii_type: str, value: str) -> None:
    assert found(text) == [(pii_type, value)]


@pytest.mark.parametrize(
    "text",
    [
        "number 4111111111111112",  # 16 digits failing Luhn
        "zeros 0000 0000 0000 0000",  # passes Luhn, is no card
        "isbn 978-3-16-148410-0",
        "iban GB82 WEST 1234 5698 7654 33",  # wrong checksum
        "ssn 999-45-6789",
        "ssn 666-12-3456",
        "ssn 000-12-3456",
        "in 2024 we moved",
        "between 2023 2024 2025",
        "on 2024-01-15 and 15/01/2024 and 01.02.2024",
        "order 1234567890 and ticket 123-456-789",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "pi is 3.14159265358979 and 1,234,567.89",
        "ip 256.1.1.1",
        "release v1.2.3.4, version 1.2.3.4 and 1.2.3.4.5",
        "at 12:30:45 in std::vector, mac 00:1A:2B:3C:4D:5E",
        "sk-learn-is-a-great-python-library",
        "a bearer of bad news",
        "Key: the answer",
        "max_tokens = 1024 and token_count: 55 and monkey = banana",
        "api_key = os.environ['API_KEY'] and password=[REDACTED:SECRET]",
    ],
)
def test_near_misses_are_not_pii(text: str) -> None:
    assert found(text) == []
    assert not contains_pii(text)


def test_a_bare_dotted_quad_counts_as_an_address() -> None:
    # A dotted quad with valid octets is an IP unless written as a version: leaking an address costs more
    # than redacting a version number.
    assert found("reach 1.2.3.4 now") == [("ip_address", "1.2.3.4")]


def test_matches_are_sorted_and_overlaps_merge_without_leaving_a_part() -> None:
    text = "password: 4111 1111 1111 1111, mail ann@example.com, ssn 123-45-6789"
    assert found(text) == [
        ("credit_card", "4111 1111 1111 1111"),
        ("email", "ann@example.com"),
        ("ssn", "123-45-6789"),
    ]
    assert detect_pii("ssn 123-45-6789") == [PiiMatch("ssn", 4, 15)]


@pytest.mark.timeout(5)  # ~0.25 s; a pattern that backtracks on this input takes minutes
def test_a_long_hostile_input_is_scanned_quickly() -> None:
    hostile = "a@" + "b." * 20_000 + " " + "1 " * 20_000 + "x://" * 5_000
    assert detect_pii(hostile) == []
    assert found(f"{hostile} ann@example.com 10.0.0.7") == [("email", "ann@example.com"), ("ip_address", "10.0.0.7")]


# --- the barrier ---------------------------------------------------------------------------------------------

MIXED = "Ann (ann@example.com) paid with 4111 1111 1111 1111 from 10.0.0.7"


def test_redact_is_the_default_action() -> None:
    outcome = PiiBarrier(PiiConfig(enabled=True)).apply(MIXED)
    assert outcome.text == "Ann ([REDACTED:EMAIL]) paid with [REDACTED:CREDIT_CARD] from [REDACTED:IP_ADDRESS]"
    assert outcome.detected == ("email", "credit_card", "ip_address")
    assert outcome.redacted == ("email", "credit_card", "ip_address")
    assert outcome.warned == ()


def test_actions_apply_per_type_over_the_default() -> None:
    config = PiiConfig(enabled=True, action="warn", actions={"credit_card": "redact", "ip_address": "allow"})
    outcome = PiiBarrier(config).apply(MIXED)
    assert outcome.text == "Ann (ann@example.com) paid with [REDACTED:CREDIT_CARD] from 10.0.0.7"
    assert outcome.detected == ("email", "credit_card", "ip_address")
    assert outcome.redacted == ("credit_card",)
    assert outcome.warned == ("email",)


def test_allow_as_default_leaves_everything() -> None:
    outcome = PiiBarrier(PiiConfig(enabled=True, action="allow")).apply(MIXED)
    assert outcome.text == MIXED
    assert outcome.detected == ("email", "credit_card", "ip_address")
    assert outcome.redacted == outcome.warned == ()


def test_reject_names_the_types_and_the_way_out_but_never_the_values() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, actions={"credit_card": "reject", "email": "reject"}))
    with pytest.raises(PiiRejected) as caught:
        barrier.apply(MIXED)
    message = str(caught.value)
    assert "email" in message and "credit_card" in message and "policy.pii.actions" in message
    for value in ("ann@example.com", "4111", "10.0.0.7"):
        assert value not in message


def test_reject_as_default_spares_allowed_types() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, action="reject", actions={"email": "allow"}))
    assert barrier.apply("mail ann@example.com").text == "mail ann@example.com"
    with pytest.raises(PiiRejected, match="ssn"):
        barrier.apply("ssn 123-45-6789")


def test_disabled_policy_does_nothing_unless_redaction_is_forced() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=False, action="reject"))
    assert barrier.apply(MIXED).text == MIXED
    assert barrier.apply(MIXED).detected == ()
    forced = barrier.apply(MIXED, force_redact=True)
    assert forced.text == "Ann ([REDACTED:EMAIL]) paid with [REDACTED:CREDIT_CARD] from [REDACTED:IP_ADDRESS]"
    assert forced.redacted == ("email", "credit_card", "ip_address")


def test_forced_redaction_raises_warn_and_allow_but_keeps_reject() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, action="allow", actions={"email": "warn", "ssn": "reject"}))
    assert barrier.apply("ann@example.com at 10.0.0.7", force_redact=True).text == (
        "[REDACTED:EMAIL] at [REDACTED:IP_ADDRESS]"
    )
    with pytest.raises(PiiRejected):
        barrier.apply("ssn 123-45-6789", force_redact=True)


def test_apply_json_cleans_every_string_and_leaves_keys_and_scalars() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, actions={"phone": "warn"}))
    document = {
        "ann@example.com": "contact",
        "people": [{"mail": "bob@example.org", "age": 41, "call": "+44 20 7946 0958"}, ("10.0.0.7", None)],
        "config": {"api_key": "plainvalue", "note": "nothing here"},
        "flag": True,
    }
    cleaned, outcome = barrier.apply_json(document)
    assert cleaned == {
        "ann@example.com": "contact",
        "people": [
            {"mail": "[REDACTED:EMAIL]", "age": 41, "call": "+44 20 7946 0958"},
            ("[REDACTED:IP_ADDRESS]", None),
        ],
        "config": {"api_key": "[REDACTED:SECRET]", "note": "nothing here"},
        "flag": True,
    }
    assert outcome.detected == ("email", "phone", "ip_address", "secret")
    assert outcome.redacted == ("email", "ip_address", "secret")
    assert outcome.warned == ("phone",)
    assert "bob@example.org" not in outcome.text


def test_apply_json_rejects_across_the_whole_document() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, actions={"ssn": "reject"}))
    with pytest.raises(PiiRejected, match="ssn"):
        barrier.apply_json({"a": ["fine", {"b": "ssn 123-45-6789"}]})
    value, outcome = barrier.apply_json(None)
    assert value is None and outcome.detected == ()


def test_redact_all_ignores_actions_and_is_idempotent() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=False))
    once = barrier.redact_all(MIXED + " password=hunter2")
    assert "ann@example.com" not in once and "hunter2" not in once
    assert once.endswith("password=[REDACTED:SECRET]")
    assert barrier.redact_all(once) == once


# --- metadata ----------------------------------------------------------------------------------------------


def test_metadata_drops_blocked_keys_case_insensitively_and_cuts_long_values() -> None:
    config = MetadataPolicyConfig(max_value_chars=10)
    clean, warnings = sanitize_metadata(
        {"Password_Hash": "x", "X-Auth-TOKEN": "y", "API_KEY": "z", "topic": "a" * 25, "year": 2024}, config
    )
    assert clean == {"topic": "a" * 10, "year": 2024}
    assert len(warnings) == 4
    assert any("'Password_Hash'" in warning and "password*" in warning for warning in warnings)
    assert any("'topic'" in warning and "max_value_chars" in warning for warning in warnings)
    assert all("aaaa" not in warning for warning in warnings)


def test_metadata_values_go_through_the_barrier_before_the_cut() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, actions={"phone": "warn"}))
    config = MetadataPolicyConfig(max_value_chars=20, blocked_keys=())
    clean, warnings = sanitize_metadata(
        {"card": "4111 1111 1111 1111 and more", "who": "ann@example.com", "tel": "020 7946 0958"}, config, barrier
    )
    assert clean == {"card": "[REDACTED:CREDIT_CAR", "who": "[REDACTED:EMAIL]", "tel": "020 7946 0958"}
    assert "metadata 'tel': contains phone (kept: policy warns)" in warnings
    assert "metadata 'who': email redacted" in warnings
    assert not any("ann@" in warning or "4111" in warning for warning in warnings)


def test_metadata_rejection_names_the_key() -> None:
    barrier = PiiBarrier(PiiConfig(enabled=True, action="reject"))
    with pytest.raises(PiiRejected, match="metadata 'who'") as caught:
        sanitize_metadata({"who": "ann@example.com"}, MetadataPolicyConfig(), barrier)
    assert "ann@example.com" not in str(caught.value)


# --- rate limits and quotas ----------------------------------------------------------------------------------


def limiter(
    per_bank: RateLimit | None = None,
    per_principal: RateLimit | None = None,
    quotas: QuotasConfig | None = None,
    today: list[date] | None = None,
) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    days = today or [date(2025, 1, 1)]
    return (
        RateLimiter(
            RateLimitsConfig(per_bank=per_bank, per_principal=per_principal),
            quotas or QuotasConfig(),
            clock=clock,
            today=lambda: days[0],
        ),
        clock,
    )


def test_burst_then_refusal_with_the_exact_wait_then_refill() -> None:
    limits, clock = limiter(per_bank=RateLimit(per_second=2, burst=3))
    for _ in range(3):
        limits.check(operation="recall", bank_id="notes", principal=None)
    with pytest.raises(RateLimited) as caught:
        limits.check(operation="reflect", bank_id="notes", principal=None)
    assert caught.value.retry_after == pytest.approx(0.5)
    assert "bank 'notes'" in str(caught.value) and "policy.rate_limits.per_bank" in str(caught.value)
    clock.now += 0.2
    with pytest.raises(RateLimited) as caught:
        limits.check(operation="retain", bank_id="notes", principal=None)
    assert caught.value.retry_after == pytest.approx(0.3)
    clock.now += 0.3
    limits.check(operation="retain", bank_id="notes", principal=None)
    limits.check(operation="retain", bank_id="other", principal=None)


def test_units_cost_tokens_and_an_oversized_batch_runs_into_debt() -> None:
    limits, clock = limiter(per_bank=RateLimit(per_second=1, burst=5))
    limits.check(operation="retain", bank_id="notes", principal=None, units=3)
    with pytest.raises(RateLimited) as caught:
        limits.check(operation="retain", bank_id="notes", principal=None, units=5)
    assert caught.value.retry_after == pytest.approx(3.0)
    clock.now += 3
    limits.check(operation="retain", bank_id="notes", principal=None, units=8)
    with pytest.raises(RateLimited) as caught:
        limits.check(operation="forget", bank_id="notes", principal=None)
    assert caught.value.retry_after == pytest.approx(4.0)
    with pytest.raises(ValidationError):
        limits.check(operation="retain", bank_id="notes", principal=None, units=0)


def test_principals_have_their_own_buckets_apart_from_the_bank() -> None:
    limits, _ = limiter(per_principal=RateLimit(per_second=1, burst=1))
    limits.check(operation="recall", bank_id="a", principal="user:ann")
    limits.check(operation="recall", bank_id="a", principal="user:bob")
    limits.check(operation="recall", bank_id="a", principal=None)
    with pytest.raises(RateLimited, match=r"principal 'user:ann'.*policy.rate_limits.per_principal"):
        limits.check(operation="recall", bank_id="b", principal="user:ann")
    with pytest.raises(RateLimited, match="principal 'anonymous'"):
        limits.check(operation="recall", bank_id="c", principal=None)


def test_a_refused_check_takes_nothing_from_any_limit() -> None:
    limits, clock = limiter(
        per_bank=RateLimit(per_second=1, burst=2),
        per_principal=RateLimit(per_second=1, burst=10),
        quotas=QuotasConfig(per_principal_daily=100),
    )
    limits.check(operation="retain", bank_id="notes", principal="user:ann", units=2)
    for _ in range(5):
        with pytest.raises(RateLimited):
            limits.check(operation="retain", bank_id="notes", principal="user:ann", units=1)
    # The principal's bucket still holds 8 and its quota 98: the refusals above took nothing.
    limits.check(operation="retain", bank_id="other", principal="user:ann", units=8)
    clock.now += 2
    limits.check(operation="retain", bank_id="notes", principal="user:ann", units=2)


def test_the_longest_wait_wins_when_several_limits_refuse() -> None:
    limits, _ = limiter(per_bank=RateLimit(per_second=1, burst=1), per_principal=RateLimit(per_second=0.1, burst=1))
    limits.check(operation="recall", bank_id="notes", principal="user:ann")
    with pytest.raises(RateLimited, match="principal") as caught:
        limits.check(operation="recall", bank_id="notes", principal="user:ann")
    assert caught.value.retry_after == pytest.approx(10.0)


def test_daily_quota_counts_retain_units_and_resets_the_next_day() -> None:
    days = [date(2025, 1, 1)]
    limits, _ = limiter(quotas=QuotasConfig(per_bank_daily=5, per_principal_daily=3), today=days)
    limits.check(operation="retain", bank_id="notes", principal="user:ann", units=3)
    for _ in range(10):
        limits.check(operation="recall", bank_id="notes", principal="user:ann")
    with pytest.raises(RateLimited, match=r"principal 'user:ann'.*policy.quotas.per_principal_daily") as caught:
        limits.check(operation="retain", bank_id="notes", principal="user:ann")
    assert 0 < caught.value.retry_after <= 24 * 3600
    limits.check(operation="retain", bank_id="notes", principal="user:bob", units=2)
    with pytest.raises(RateLimited, match=r"bank 'notes'.*policy.quotas.per_bank_daily"):
        limits.check(operation="retain", bank_id="notes", principal="user:cid")
    days[0] += timedelta(days=1)
    limits.check(operation="retain", bank_id="notes", principal="user:ann", units=3)


def test_the_limiter_is_safe_across_threads() -> None:
    limits, _ = limiter(per_bank=RateLimit(per_second=0.001, burst=50))
    admitted = []

    def hammer() -> None:
        for _ in range(20):
            try:
                limits.check(operation="recall", bank_id="notes", principal=None)
                admitted.append(1)
            except RateLimited:
                pass

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 50


# --- circuit breaker ----------------------------------------------------------------------------------------


def breaker(threshold: int = 2, timeout: float = 10) -> tuple[CircuitBreaker, FakeClock, list[tuple[str, str]]]:
    clock = FakeClock()
    changes: list[tuple[str, str]] = []
    made = CircuitBreaker(
        "store",
        failure_threshold=threshold,
        reset_timeout_s=timeout,
        clock=clock,
        on_change=lambda old, new: changes.append((old, new)),
    )
    return made, clock, changes


def admits(circuit: CircuitBreaker) -> bool:
    """Whether the breaker lets a call through now; the call ends in bad input, which counts for nothing."""

    def bad_input() -> None:
        raise ValidationError("x: bad input")

    try:
        circuit.run(bad_input)
    except CircuitOpen:
        return False
    except ValidationError:
        pass
    return True


class _Suspended:
    """An awaitable that suspends whatever awaits it, until it is resumed or closed."""

    def __await__(self) -> Generator[None, None, None]:
        yield


def test_breaker_opens_after_consecutive_failures_only() -> None:
    circuit, _, changes = breaker(threshold=3)
    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    circuit.record_failure()
    assert circuit.state == "closed" and admits(circuit)
    circuit.record_failure()
    assert circuit.state == "open" and not admits(circuit)
    assert changes == [("closed", "open")]


def test_half_open_lets_one_trial_through_and_success_closes() -> None:
    circuit, clock, changes = breaker()
    circuit.record_failure()
    circuit.record_failure()
    clock.now += 9.9
    assert circuit.state == "open"
    clock.now += 0.1
    assert circuit.state == "half_open"
    assert circuit.run(lambda: admits(circuit)) is False  # while the trial runs, no other call goes through
    assert circuit.state == "closed" and admits(circuit)
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_a_failed_trial_reopens_and_restarts_the_timeout() -> None:
    circuit, clock, changes = breaker()
    circuit.record_failure()
    circuit.record_failure()
    clock.now += 10

    def failing_trial() -> None:
        clock.now += 5
        raise OSError("still down")

    with pytest.raises(OSError):
        circuit.run(failing_trial)
    assert circuit.state == "open"
    clock.now += 9
    assert not admits(circuit)
    clock.now += 1
    assert admits(circuit)
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "open"), ("open", "half_open")]


def test_a_trial_that_never_reports_back_stops_blocking_after_a_timeout() -> None:
    circuit, clock, _ = breaker()
    circuit.record_failure()
    circuit.record_failure()
    clock.now += 10
    trial = circuit.call(_Suspended)
    trial.send(None)  # let through as the trial, then suspended: it never reports back
    clock.now += 9
    assert not admits(circuit)
    clock.now += 1
    assert admits(circuit)
    trial.close()


async def test_call_counts_backend_errors_and_fails_fast_when_open() -> None:
    circuit, clock, _ = breaker()
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("refused")

    async def unavailable() -> None:
        raise ProviderUnavailable("store down")

    with pytest.raises(ConnectionError):
        await circuit.call(broken)
    with pytest.raises(ProviderUnavailable):
        await circuit.call(unavailable)
    with pytest.raises(CircuitOpen) as caught:
        await circuit.call(broken)
    assert calls == 1
    message = str(caught.value)
    assert "store" in message and "2 consecutive failures" in message and "retry in 10 s" in message
    clock.now += 4
    with pytest.raises(CircuitOpen, match="retry in 6 s"):
        await circuit.call(broken)


async def test_caller_errors_do_not_trip_the_breaker_nor_hold_the_trial() -> None:
    circuit, clock, _ = breaker(threshold=1)

    async def bad_input() -> None:
        raise ValidationError("content: must be a non-empty string")

    for _ in range(5):
        with pytest.raises(ValidationError):
            await circuit.call(bad_input)
    assert circuit.state == "closed"
    circuit.record_failure()
    clock.now += 10
    with pytest.raises(ValidationError):
        await circuit.call(bad_input)
    assert circuit.state == "half_open"

    async def fine() -> str:
        return "ok"

    assert await circuit.call(fine) == "ok"
    assert circuit.state == "closed"


async def test_only_one_trial_call_runs_in_half_open() -> None:
    circuit, clock, _ = breaker(threshold=1)
    circuit.record_failure()
    clock.now += 10
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "ok"

    trial = asyncio.create_task(circuit.call(slow))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpen, match="trial call"):
        await circuit.call(slow)
    release.set()
    assert await trial == "ok"
    assert circuit.state == "closed"


def test_on_change_may_read_the_breaker() -> None:
    seen: list[str] = []
    circuit = CircuitBreaker(
        "llm", failure_threshold=1, reset_timeout_s=1, on_change=lambda old, new: seen.append(circuit.state)
    )
    circuit.record_failure()
    assert seen == ["open"]


# --- outbox --------------------------------------------------------------------------------------------------


def test_outbox_is_a_durable_fifo_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "outbox.sqlite3"
    first = RetainOutbox(path)
    ids = [first.put({"content": f"memory {n}", "tags": ["a"]}) for n in range(3)]
    first.close()

    second = RetainOutbox(path)
    assert len(second) == 3
    assert second.pending() == [(entry_id, {"content": f"memory {n}", "tags": ["a"]}) for n, entry_id in enumerate(ids)]
    assert [entry_id for entry_id, _ in second.pending(limit=2)] == ids[:2]
    second.ack(ids[:2])
    second.ack(ids[:2])
    second.ack([])
    assert second.pending() == [(ids[2], {"content": "memory 2", "tags": ["a"]})]
    second.ack([ids[2]])
    newer = second.put({"content": "later"})
    assert newer > ids[2]
    second.close()

    third = RetainOutbox(path)
    assert third.pending() == [(newer, {"content": "later"})]
    third.close()


def test_in_memory_outbox_works_across_threads() -> None:
    outbox = RetainOutbox(None)
    threads = [threading.Thread(target=lambda: [outbox.put({"n": n}) for n in range(25)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox) == 100
    entries = outbox.pending(limit=1000)
    assert [entry_id for entry_id, _ in entries] == sorted(entry_id for entry_id, _ in entries)
    outbox.ack(entry_id for entry_id, _ in entries)
    assert len(outbox) == 0
    outbox.close()


def test_a_phone_in_parentheses_leaves_the_closing_parenthesis() -> None:
    text = "(a@b.com, +353 87 123 4567); x"
    assert [text[match.start : match.end] for match in detect_pii(text)] == ["a@b.com", "+353 87 123 4567"]


def test_an_assignment_inside_another_value_is_still_found() -> None:
    text = "Staging database: STAGING_DB_PASSWORD=Tr0ub4dor-staging"
    assert [text[match.start : match.end] for match in detect_pii(text)] == ["Tr0ub4dor-staging"]
