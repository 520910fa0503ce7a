from __future__ import annotations

from backend.services.lru import LruCache


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
