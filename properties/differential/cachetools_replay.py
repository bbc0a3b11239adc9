"""Replays cachelab traces on the Python engines cachelab promises to match.

Reads traces from stdin and writes, for every step, the decision the Python engine made, in the
format differential_test.cc writes its own:

  trace <engine> <capacity> <ttl>     starts a trace; engine is a cachetools class name,
                                      "lru_cache" (functools.lru_cache) or "cache" (functools.cache)
  L <key>                  lookup               -> "hit <value>" | "miss"
  I <key> <value> <victim> insert ("-": none)   -> "ok" | "ok evicted <key>"
  A <seconds>              advance the clock    -> "ok"
  C <key>                  call a memoized fn   -> "hit" | "miss"
  end                                           -> "contents <keys...>" | "size <n>"

cachetools decides LFU ties arbitrarily; cachelab breaks them by least recent use. For
LFUCache the replayer therefore evicts the key cachelab evicted (<victim>), after checking that
it is one cachetools could have chosen: a key of least use count. Any other disagreement is
printed as "diverged: <reason>" at that step.
"""

import functools
import sys

import cachetools


class Diverged(Exception):
    pass


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


def recording(cls):
    """A subclass of cls that records the key each popitem() evicts."""

    class Recording(cls):
        evicted = None

        def popitem(self):
            key, value = super().popitem()
            self.evicted = key
            return key, value

    return Recording


class GuidedLFU(cachetools.LFUCache):
    """LFUCache that evicts cachelab's choice, if cachetools could have made it."""

    victim = None
    evicted = None

    def popitem(self):
        counts = self._LFUCache__counter  # key -> minus the use count
        if self.victim is None or self.victim not in counts:
            raise Diverged("cachetools must evict here, cachelab evicted %s" % self.victim)
        least_used = max(counts.values())
        if counts[self.victim] != least_used:
            raise Diverged(
                "cachelab evicted %s (used %d times) but the least used key was used %d times"
                % (self.victim, -counts[self.victim], -least_used))
        self.evicted = self.victim
        return self.victim, self.pop(self.victim)


def make(engine, capacity, ttl, clock):
    if engine == "LFUCache":
        return GuidedLFU(capacity)
    if engine == "TTLCache":
        return recording(cachetools.TTLCache)(capacity, ttl, timer=clock)
    if engine == "TLRUCache":
        # The TTL travels in the value: "v<n>:<seconds>".
        ttu = lambda _key, value, now: now + int(value.split(":")[1])
        return recording(cachetools.TLRUCache)(capacity, ttu, timer=clock)
    return recording(getattr(cachetools, engine))(capacity)


def memoized(engine, capacity, calls):
    def compute(key):
        calls.append(key)
        return key

    if engine == "lru_cache":
        return functools.lru_cache(maxsize=capacity)(compute)
    return functools.cache(compute)


def step(cache, clock, words):
    op = words[0]
    if op == "L":
        value = cache.get(words[1], None)
        return "miss" if value is None else "hit " + value
    if op == "I":
        key, value, victim = words[1], words[2], words[3]
        cache.evicted = None
        if isinstance(cache, GuidedLFU):
            cache.victim = None if victim == "-" else victim
        cache[key] = value
        return "ok" if cache.evicted is None else "ok evicted " + cache.evicted
    if op == "A":
        clock.now += int(words[1])
        return "ok"
    raise Diverged("unknown step " + " ".join(words))


def main():
    out = sys.stdout
    cache = function = clock = None
    failed = False
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "trace":
            engine, capacity, ttl = words[1], int(words[2]), int(words[3])
            clock, failed = Clock(), False
            calls = []
            if engine in ("lru_cache", "cache"):
                cache, function = None, memoized(engine, capacity, calls)
            else:
                cache, function = make(engine, capacity, ttl, clock), None
            out.write(line)
            continue
        if failed:
            continue
        try:
            if words[0] == "end":
                if function is not None:
                    out.write("size %d\n" % function.cache_info().currsize)
                else:
                    if hasattr(cache, "expire"):
                        cache.expire()
                    out.write("contents %s\n" % " ".join(sorted(cache.keys())))
            elif words[0] == "C":
                before = len(calls)
                function(words[1])
                out.write("miss\n" if len(calls) > before else "hit\n")
            else:
                out.write(step(cache, clock, words) + "\n")
        except Diverged as reason:
            out.write("diverged: %s\n" % reason)
            failed = True


if __name__ == "__main__":
    main()
