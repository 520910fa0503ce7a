"""A numba compilation cache for UMAP and pynndescent, shared by every worker process.

Both libraries JIT-compile their kernels with numba in every new process: here about 25 s of CPU when
pynndescent is imported and another 17 s on the first UMAP fit. numba keeps compiled code on disk only
for functions declared `cache=True` (most of pynndescent's, almost none of umap-learn's), in
NUMBA_CACHE_DIR. So the worker points NUMBA_CACHE_DIR at a folder it can write (site-packages in an
image usually is not), before numba is imported, and switches caching on for the other kernels too.
numba keys each entry on the function's source file and the CPU, so a cache is never stale.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CACHED_PREFIXES = ("umap", "pynndescent")
_done: set[str] = set()


def configure(cache_dir: Path) -> None:
    """Set NUMBA_CACHE_DIR for this process and its children, unless it is set already (tests share one)."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache_dir)


def cache_kernels() -> None:
    """Turn on disk caching for every numba kernel of the imported umap/pynndescent modules (idempotent)."""
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for name, module in list(sys.modules.items()):
        if module is None or name in _done or not name.startswith(_CACHED_PREFIXES):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, CPUDispatcher) and isinstance(getattr(value, "_cache", None), NullCache):
                value.enable_caching()
        _done.add(name)
