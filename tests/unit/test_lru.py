from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.api.services.lru import LruCache


def test_lru_loads_once_and_drops_the_least_recently_used() -> None:
    loads: list[str] = []
    cache: LruCache[str] = LruCache(capacity=2)

    def get(key: str) -> str:
        def load() -> str:
            loads.append(key)
            return key.upper()

        return cache.get_or_load(key, load)

    assert [get("a"), get("b"), get("a")] == ["A", "B", "A"]
    assert loads == ["a", "b"]  # the second "a" came from the cache
    get("c")  # evicts "b", the least recently used; "a" was used after it
    get("a")
    get("b")
    assert loads == ["a", "b", "c", "b"]


def test_concurrent_misses_of_one_key_load_it_once_and_other_keys_do_not_wait() -> None:
    cache: LruCache[str] = LruCache(capacity=4)
    release, started = threading.Event(), threading.Event()
    loads: list[str] = []

    def slow(key: str) -> str:
        loads.append(key)
        started.set()
        release.wait(5)
        return key.upper()

    with ThreadPoolExecutor(max_workers=9) as pool:
        same = [pool.submit(cache.get_or_load, "a", lambda: slow("a")) for _ in range(8)]
        assert started.wait(5)
        time.sleep(0.1)  # the other seven reach the cache while the first is loading
        # While "a" is loading, another key loads and answers at once.
        assert cache.get_or_load("b", lambda: "B") == "B"
        release.set()
        assert [f.result(5) for f in same] == ["A"] * 8
    assert loads == ["a"]


def test_a_failed_load_is_tried_again() -> None:
    cache: LruCache[str] = LruCache(capacity=2)

    def boom() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache.get_or_load("a", boom)
    assert cache.get_or_load("a", lambda: "A") == "A"
    assert cache.peek("a") == "A" and cache.peek("b") is None
