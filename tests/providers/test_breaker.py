"""The circuit breaker in front of the video provider, driven by an injected clock."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from loop_live.platform.errors import ProviderError
from loop_live.providers.breaker import CircuitBreaker

THRESHOLD = 5
COOLDOWN = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Provider:
    """An operation that fails while `failing` is set, counting the calls that reach it."""

    def __init__(self) -> None:
        self.failing = True
        self.reached = 0

    async def __call__(self) -> str:
        self.reached += 1
        if self.failing:
            raise ProviderError("provider answered 500")
        return "ok"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(threshold=THRESHOLD, cooldown_seconds=COOLDOWN, clock=clock)


async def fail_times(breaker: CircuitBreaker, provider: Provider, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ProviderError):
            await breaker.call(provider)


async def test_five_consecutive_failures_make_the_next_call_fail_fast(
    breaker: CircuitBreaker,
) -> None:
    provider = Provider()
    await fail_times(breaker, provider, THRESHOLD)
    assert breaker.is_open

    with pytest.raises(ProviderError) as refused:
        await breaker.call(provider)
    assert provider.reached == THRESHOLD
    assert refused.value.status == 502
    assert refused.value.code == "provider_error"


async def test_fewer_failures_than_the_threshold_keep_calling_the_provider(
    breaker: CircuitBreaker,
) -> None:
    provider = Provider()
    await fail_times(breaker, provider, THRESHOLD - 1)
    provider.failing = False
    assert await breaker.call(provider) == "ok"
    assert not breaker.is_open


async def test_a_success_resets_the_count_of_consecutive_failures(
    breaker: CircuitBreaker,
) -> None:
    provider = Provider()
    await fail_times(breaker, provider, THRESHOLD - 1)
    provider.failing = False
    await breaker.call(provider)
    provider.failing = True
    await fail_times(breaker, provider, THRESHOLD - 1)
    assert not breaker.is_open
    assert provider.reached == 2 * (THRESHOLD - 1) + 1


async def test_open_breaker_recovers_after_the_cooldown_when_the_provider_is_back(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    provider = Provider()
    await fail_times(breaker, provider, THRESHOLD)
    provider.failing = False

    clock.now += COOLDOWN - 0.1
    with pytest.raises(ProviderError):
        await breaker.call(provider)
    assert provider.reached == THRESHOLD

    clock.now += 0.1
    assert await breaker.call(provider) == "ok"
    assert await breaker.call(provider) == "ok"
    assert provider.reached == THRESHOLD + 2
    assert not breaker.is_open


async def test_failed_trial_after_the_cooldown_opens_the_breaker_again_at_once(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    provider = Provider()
    await fail_times(breaker, provider, THRESHOLD)
    clock.now += COOLDOWN

    await fail_times(breaker, provider, 1)
    assert provider.reached == THRESHOLD + 1
    await fail_times(breaker, provider, 1)
    assert provider.reached == THRESHOLD + 1, "a failed trial must re-open the breaker"

    clock.now += COOLDOWN
    provider.failing = False
    assert await breaker.call(provider) == "ok"


async def test_errors_that_are_not_provider_failures_do_not_open_the_breaker(
    breaker: CircuitBreaker,
) -> None:
    async def broken() -> str:
        raise ValueError("a bug on our side")

    for _ in range(THRESHOLD + 1):
        with pytest.raises(ValueError, match="a bug on our side"):
            await breaker.call(broken)
    assert not breaker.is_open


def breaker_metrics() -> tuple[float | None, float]:
    opened = REGISTRY.get_sample_value("live_provider_circuit_opened_total") or 0.0
    return REGISTRY.get_sample_value("live_provider_circuit_open"), opened


async def test_metrics_show_the_breaker_open_until_a_call_succeeds(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    provider = Provider()
    _, opened_before = breaker_metrics()
    await fail_times(breaker, provider, THRESHOLD)
    assert breaker_metrics() == (1.0, opened_before + 1)
    clock.now += COOLDOWN
    provider.failing = False
    assert await breaker.call(provider) == "ok"
    assert breaker_metrics() == (0.0, opened_before + 1)
