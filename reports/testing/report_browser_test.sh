#!/usr/bin/env bash
# The report in a real browser: runs the scorecard on a few engines (a passing one, the fast
# engine, a broken one, a third-party one with known findings), the peers and two shared traces, renders the page in headless Chromium,
# checks the rendered DOM against the report's JSON (sections, counts, ratios, hit ratios), and
# takes a screenshot (kept in the test's undeclared outputs: bazel-testlogs/.../outputs.zip).
set -euo pipefail
scorecard=$1; shift
out="$TEST_TMPDIR/report"
# Run as `bazel run` runs it: no runfiles variables, the working directory inside its runfiles,
# and the programs it starts without runfiles trees of their own (bazel builds none for a
# binary that is only data): copies of the peers and the simulator, which find their data
# (python_peers.py, the traces) only through the scorecard.
mkdir -p "$TEST_TMPDIR/bin"
entries=()
for entry in "$@"; do
  case "$entry" in
    peers:*|simulate:*)
      cp "${entry#*:}" "$TEST_TMPDIR/bin/"
      entry="${entry%%:*}:$TEST_TMPDIR/bin/$(basename "${entry#*:}")" ;;
  esac
  entries+=("$entry")
done
env -u TEST_SRCDIR -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE "$scorecard" --out="$out" \
  --traces=web07,web12 --skip=stress "${entries[@]}" > "$TEST_TMPDIR/scorecard.txt" || {
  cat "$TEST_TMPDIR/scorecard.txt"; echo "the scorecard failed"; exit 1; }
grep -q "report: $out/index.html" "$TEST_TMPDIR/scorecard.txt" || {
  cat "$TEST_TMPDIR/scorecard.txt"; echo "the scorecard did not print the page's path"; exit 1; }

chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "chromium is not installed: run tools/setup"; exit 1; }
export HOME="$TEST_TMPDIR"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run)
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$out/index.html" \
  > "$TEST_TMPDIR/dom.html" 2> "$TEST_TMPDIR/chromium.log" || {
  tail -20 "$TEST_TMPDIR/chromium.log"; echo "chromium could not render the page"; exit 1; }
shots="${TEST_UNDECLARED_OUTPUTS_DIR:-$TEST_TMPDIR}"
timeout 120 "$chromium" "${flags[@]}" --window-size=1200,3000 \
  --screenshot="$shots/report.png" "file://$out/index.html" 2>> "$TEST_TMPDIR/chromium.log"

python3 - "$TEST_TMPDIR/dom.html" "$out/report.json" "$shots/report.png" <<'PY'
import json, re, struct, sys
from html import escape
dom = open(sys.argv[1]).read()
report = json.load(open(sys.argv[2]))
problems = []
def need(condition, what):
    if not condition:
        problems.append(what)

for section in ["summary", "scorecard", "broken", "speed", "hit-ratios", "regressions"]:
    need(f'<section id="{section}">' in dom, f"section {section} is not rendered")
need(report.get("settings") and escape(report["settings"], quote=False) in dom,
     "the run's settings (property cases, stress, benchmark passes) are not on the page")
need(report["mode"] != "quick" or "200 cases per property" in report["settings"]
     or "RC_PARAMS given" in report["settings"], "the quick run does not say it ran 200 cases")
engines = [e for e in report["engines"] if not e["broken"] and not e["third_party"]]
broken = [e for e in report["engines"] if e["broken"]]
third_party = [e for e in report["engines"] if e["third_party"]]
need(re.search(r'id="tile-engines"><b>%d / %d</b>' % (report["engines_passing"], len(engines)), dom),
     "the engines tile does not show the passing count")
need(re.search(r'id="tile-broken"><b>%d / %d</b>' % (report["broken_caught"], len(broken)), dom),
     "the broken-engines tile does not show the caught count")
for engine in report["engines"]:
    row = re.search(r'<tr data-engine="%s">(.*?)</tr>' % re.escape(engine["label"]), dom, re.S)
    need(row, f"no scorecard row for {engine['label']}")
    if not row:
        continue
    for name in ["conformance", "properties"]:
        suite = engine["suites"][name]
        need('data-passed="%d" data-failed="%d"' % (suite["passed"], suite["failed"]) in row.group(1),
             f"{engine['label']} {name} counts differ from the JSON")
    need(engine["verdict"] in row.group(1), f"{engine['label']} verdict missing")
# Third-party engines: their findings are listed with what the failing test printed, and they
# do not fail the run (all_good holds with them deviating).
need(third_party, "no third-party engine in the JSON")
need('<section id="third-party-engines">' in dom, "section third-party-engines is not rendered")
for engine in third_party:
    need(engine["good"], f"{engine['label']}'s findings count as a failure")
    for name, suite in engine["suites"].items():
        for failure, detail in zip(suite["failures"], suite["details"]):
            need(re.search(r'<li class="finding" data-engine="%s">.*?%s' % (
                re.escape(engine["label"]), re.escape(failure)), dom, re.S),
                 f"finding {failure} of {engine['label']} is not listed")
            first = detail.strip().splitlines()[0] if detail.strip() else ""
            need(first == "" or escape(first, quote=False) in dom, f"what {failure} printed is not shown")
need(any(e["verdict"] == "deviates" for e in third_party), "RocksDB's known finding is not shown")
need(report["all_good"], "the run is not all good")
need(len(report.get("speed", [])) >= 2, "fewer than two speed ratios were measured")
for speed in report.get("speed", []):
    need(re.search(r'<tr data-engine="%s">.*?%.2fx' % (re.escape(speed["engine"]), speed["ratio"]), dom),
         f"speed ratio of {speed['engine']} not shown")
need('id="chart-ratios"' in dom and 'id="chart-scaling"' in dom, "speed charts missing")
if not report.get("hit_ratios") and any("did not find the shared traces" in n
                                        for n in report.get("hit_ratio_notes", [])):
    # This checkout has no ../shared/traces: the page must say so instead of drawing curves.
    print("no shared traces here: checking that the page says so")
    need("did not find the shared traces" in dom, "the page does not say the traces are missing")
else:
    for trace in ["web07", "web12"]:
        need(f'<div class="trace" data-trace="{trace}"><svg' in dom, f"no miss-ratio chart for {trace}")
    lru = [r for r in report["hit_ratios"]
           if r["trace"] == "web07" and r["policy"] == "lru" and r["percent"] == 5]
    need(lru and abs(lru[0]["hit_ratio"] - 0.5056) < 5e-5, "web07 LRU at 5% is not 0.5056 in the JSON")
    need(">0.5056<" in dom, "web07 LRU at 5% (0.5056) is not on the page")
    need(re.search(r"<polyline points=\"[0-9., ]{20,}\"", dom), "no curve drawn")
png = open(sys.argv[3], "rb").read()
need(png[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
width, height = struct.unpack(">II", png[16:24])
need((width, height) == (1200, 3000), f"screenshot is {width}x{height}")
need(len(png) > 100_000, f"the screenshot has {len(png)} bytes: is the page blank?")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"DOM matches the JSON: {len(report['engines'])} engines, {len(report['speed'])} speed "
      f"ratios, {len(report['hit_ratios'])} hit ratios; screenshot {width}x{height}, {len(png)} bytes")
PY
