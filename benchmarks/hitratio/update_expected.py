"""Turns the simulator's --json output into expected_hit_ratios.json (see its "comment")."""

import json
import sys

COMMENT = (
    "Hit counts of the deterministic reference engines on the shared traces (every request a "
    "lookup, then an insert on a miss). //benchmarks/hitratio:hit_ratio_gate_test fails when one "
    "changes; after a deliberate policy change, regenerate with: bazel run -c opt "
    "//benchmarks/hitratio:simulate -- --traces=all --policies=Lru,Lfu,Fifo,Random,Fast "
    "--capacities=1%,2%,5%,10%,20% --json=/tmp/hit.json, then python3 "
    "benchmarks/hitratio/update_expected.py /tmp/hit.json")


def main():
    results = json.load(open(sys.argv[1]))["results"]
    keys = ("trace", "policy", "capacity", "requests", "hits")
    out = {
        "comment": COMMENT,
        "results": [{k: r[k] for k in keys}
                    for r in sorted(results, key=lambda r: (r["trace"], r["policy"], r["capacity"]))],
    }
    with open("benchmarks/hitratio/expected_hit_ratios.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote %d results" % len(out["results"]))


if __name__ == "__main__":
    main()
