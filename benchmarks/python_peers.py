"""The Python peers of cachelab's engines, timed for //benchmarks:peers_benchmark.

Runs as a worker under Debian's /usr/bin/python3: reads lines "<benchmark> <iterations>" on
stdin, runs that many operations of the benchmark (set up once, outside the timing), and
answers with the elapsed nanoseconds on stdout. Benchmarks:

  functools_lru_cache_hit   a hit on functools.lru_cache(maxsize=N) of a one-argument function
  cachetools_lru_get        cachetools.LRUCache.__getitem__ of a resident key
  cachetools_cached_hit     a hit on a function decorated with cachetools.cached(LRUCache)
  functools_lru_cache_int_hit, cachetools_cached_int_hit
                            the same two hits on a function of one integer
  diskcache_get             diskcache.Cache.get of a resident key (100-byte values)
  diskcache_set             diskcache.Cache.set (100-byte values, diskcache's defaults)

Memory peers hold 10,000 keys and the disk peers 1,000, as the engine benchmarks do.
"""

import functools
import shutil
import sys
import tempfile
import time

import cachetools
import diskcache

MEMORY_KEYS = 10_000
DISK_KEYS = 1_000
VALUE = b"v" * 100

_state = {}


def _keys(n):
    return ["k%d" % i for i in range(n)]


def setup(name):
    if name in _state:
        return _state[name]
    keys = _keys(MEMORY_KEYS)
    if name.endswith("_int_hit"):
        keys = list(range(MEMORY_KEYS))
        name_of_str = name.replace("_int_hit", "_hit")
    else:
        name_of_str = name
    if name_of_str == "functools_lru_cache_hit":
        @functools.lru_cache(maxsize=MEMORY_KEYS)
        def f(key):
            return key
        for k in keys:
            f(k)
        state = (f, keys)
    elif name == "cachetools_lru_get":
        cache = cachetools.LRUCache(maxsize=MEMORY_KEYS)
        for k in keys:
            cache[k] = k
        state = (cache.__getitem__, keys)
    elif name_of_str == "cachetools_cached_hit":
        @cachetools.cached(cachetools.LRUCache(maxsize=MEMORY_KEYS))
        def g(key):
            return key
        for k in keys:
            g(k)
        state = (g, keys)
    elif name in ("diskcache_get", "diskcache_set"):
        directory = tempfile.mkdtemp(prefix="cachelab-diskcache-")
        cache = diskcache.Cache(directory)
        keys = _keys(DISK_KEYS)
        for k in keys:
            cache.set(k, VALUE)
        if name == "diskcache_get":
            state = (cache.get, keys)
        else:
            state = (lambda k, s=cache.set: s(k, VALUE), keys)
        _state.setdefault("_dirs", []).append((cache, directory))
    else:
        raise ValueError("unknown benchmark %s" % name)
    _state[name] = state
    return state


def run(name, iterations):
    call, keys = setup(name)
    n = len(keys)
    start = time.perf_counter_ns()
    for i in range(iterations):
        call(keys[i % n])
    return time.perf_counter_ns() - start


def main():
    try:
        for line in sys.stdin:
            name, iterations = line.split()
            print(run(name, int(iterations)), flush=True)
    finally:
        for cache, directory in _state.get("_dirs", []):
            cache.close()
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
