#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "reports/svg.h"

namespace cachelab::reports {
namespace {

constexpr const char* kSuites[] = {"conformance", "properties", "stress"};

constexpr char kStyle[] = R"css(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 1100px;
       color: #222; line-height: 1.4; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 2px solid #ddd; }
.meta { color: #666; font-size: 13px; }
.summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 16px 0; }
.tile { border-radius: 8px; padding: 10px 16px; background: #f3f6fa; min-width: 170px; }
.tile b { font-size: 26px; display: block; }
.tile.good { background: #e6f4ea; } .tile.bad { background: #fdecea; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: left; }
th { background: #fafafa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #1e7d34; font-weight: bold; } .fail { color: #c0392b; font-weight: bold; }
.muted { color: #999; }
code { background: #f5f5f5; padding: 1px 4px; border-radius: 3px; font-size: 12px; }
ul.failures { margin: 2px 0 4px 0; font-size: 12px; }
tr.detail td { border-bottom: 1px solid #ccc; color: #555; font-size: 12px; }
td code, li code { word-break: break-all; white-space: normal; }
table.scorecard { width: 100%; table-layout: fixed; }
table.scorecard th:first-child { width: 34%; }
.tables { display: flex; flex-wrap: wrap; gap: 0 24px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart text { font-size: 11px; fill: #333; } svg.chart .title { font-size: 13px; font-weight: bold; }
svg.chart .grid { stroke: #e5e5e5; } svg.chart .reference { stroke: #c0392b; stroke-dasharray: 4,3; }
svg.chart .axis { fill: #666; }
)css";

std::string Counts(const SuiteResult& suite) {
  if (!suite.ran) return "<td class=\"num muted\">&mdash;</td>";
  const std::string failed =
      suite.failed > 0 ? absl::StrCat("<span class=\"fail\">", suite.failed, "</span>")
                       : absl::StrCat(suite.failed);
  return absl::StrFormat(
      "<td class=\"num\" data-passed=\"%d\" data-failed=\"%d\" data-skipped=\"%d\">%d / %s / "
      "%d%s</td>",
      suite.passed, suite.failed, suite.skipped, suite.passed, failed, suite.skipped,
      suite.crashed ? " <span class=\"fail\">crashed</span>" : "");
}

std::string VerdictCell(const EngineResult& engine) {
  return absl::StrFormat("<td class=\"%s\">%s</td>", engine.good ? "pass" : "fail",
                         Escape(engine.verdict));
}

std::string Failures(const EngineResult& engine, size_t limit) {
  std::string items;
  size_t shown = 0;
  for (const char* name : kSuites) {
    auto it = engine.suites.find(name);
    if (it == engine.suites.end()) continue;
    const SuiteResult& suite = it->second;
    for (size_t i = 0; i < suite.failures.size() && shown < limit; ++i, ++shown) {
      absl::StrAppend(&items, "<li>", name, ": ", Escape(suite.failures[i]));
      if (i < suite.reproduce.size()) {
        absl::StrAppend(&items, "<br><code>", Escape(suite.reproduce[i]), "</code>");
      }
      absl::StrAppend(&items, "</li>");
    }
  }
  return items.empty() ? "" : absl::StrCat("<ul class=\"failures\">", items, "</ul>");
}

std::string Summary(const Report& report) {
  int engines = 0, broken = 0, tests = 0, third_party = 0, deviating = 0;
  for (const EngineResult& e : report.engines) {
    if (e.third_party) {
      ++third_party;
      deviating += e.verdict != "pass";
    } else {
      (e.broken ? broken : engines)++;
    }
    for (const auto& [name, suite] : e.suites) tests += suite.passed + suite.failed;
  }
  auto tile = [](const std::string& id, bool good, const std::string& value,
                 const std::string& what) {
    return absl::StrFormat("<div class=\"tile %s\" id=\"%s\"><b>%s</b>%s</div>",
                           good ? "good" : "bad", id, Escape(value), Escape(what));
  };
  std::string html = "<div class=\"summary\">";
  html += tile("tile-engines", report.EnginesPassing() == engines,
               absl::StrCat(report.EnginesPassing(), " / ", engines), "engines pass");
  html += tile("tile-broken", report.BrokenCaught() == broken,
               absl::StrCat(report.BrokenCaught(), " / ", broken), "broken engines caught");
  if (third_party > 0) {
    html += tile("tile-third-party", true, absl::StrCat(deviating, " / ", third_party),
                 "third-party engines with findings");
  }
  html += tile("tile-tests", true, absl::StrCat(tests), "battery tests run");
  html += tile("tile-time", true, absl::StrFormat("%.0f s", report.seconds),
               absl::StrCat(report.mode, " run"));
  return html + "</div>";
}

std::string ScorecardTable(const Report& report, bool broken) {
  std::string html =
      "<table class=\"scorecard\"><tr><th>engine</th><th>conformance<br>passed / failed / skipped</th>"
      "<th>properties</th><th>stress</th><th>time</th><th>verdict</th></tr>";
  for (const EngineResult& e : report.engines) {
    if (e.broken != broken || e.third_party) continue;
    double seconds = 0;
    for (const auto& [name, suite] : e.suites) seconds += suite.seconds;
    absl::StrAppend(&html, "<tr data-engine=\"", Escape(e.label), "\"><td><code>",
                    Escape(e.label), "</code></td>");
    for (const char* name : kSuites) {
      auto it = e.suites.find(name);
      html += Counts(it == e.suites.end() ? SuiteResult() : it->second);
    }
    absl::StrAppend(&html, absl::StrFormat("<td class=\"num\">%.1f s</td>", seconds),
                    VerdictCell(e), "</tr>");
    const std::string failures = Failures(e, broken ? 2 : 20);
    if (!failures.empty() && (!e.good || broken)) {
      absl::StrAppend(&html, "<tr class=\"detail\"><td colspan=\"6\">",
                      broken ? "caught by, among others:" : "failures:", failures, "</td></tr>");
    }
  }
  return html + "</table>";
}

// Per battery: broken engines it failed out of those it ran, and the median length of the
// shrunk property counterexamples.
std::string Strength(const Report& report) {
  std::string html =
      "<table id=\"strength\"><tr><th>battery</th><th>broken engines caught</th>"
      "<th>median counterexample (calls)</th></tr>";
  for (const char* name : kSuites) {
    int ran = 0, caught = 0;
    std::vector<int> lengths;
    for (const EngineResult& e : report.engines) {
      if (!e.broken) continue;
      auto it = e.suites.find(name);
      if (it == e.suites.end() || !it->second.ran) continue;
      ++ran;
      caught += it->second.failed > 0 || it->second.crashed;
      lengths.insert(lengths.end(), it->second.counterexample_lengths.begin(),
                     it->second.counterexample_lengths.end());
    }
    std::string median = "&mdash;";
    if (!lengths.empty()) {
      std::sort(lengths.begin(), lengths.end());
      median = absl::StrCat(lengths[lengths.size() / 2], " (", lengths.size(), " counterexamples)");
    }
    absl::StrAppend(&html, absl::StrFormat("<tr data-battery=\"%s\"><td>%s</td><td "
                                           "class=\"num\">%d / %d</td><td class=\"num\">%s</td>"
                                           "</tr>",
                                           name, name, caught, ran, median));
  }
  return html + "</table>";
}

std::string OtherTests(const Report& report) {
  if (report.other_tests.empty()) return "";
  std::string html = "<h3>Battery-wide tests</h3><table><tr><th>test</th><th>passed / failed / "
                     "skipped</th><th>time</th></tr>";
  for (const auto& [name, suite] : report.other_tests) {
    absl::StrAppend(&html, "<tr><td><code>", Escape(name), "</code></td>", Counts(suite),
                    absl::StrFormat("<td class=\"num\">%.1f s</td></tr>", suite.seconds));
  }
  return html + "</table>";
}

std::string Speed(const Report& report) {
  if (report.speed.empty()) return "<p class=\"muted\">Speed was not measured in this run.</p>";
  std::vector<Bar> ratios, scaling;
  std::string table =
      "<table id=\"speed-table\"><tr><th>engine</th><th>workload</th><th>ns per call</th>"
      "<th>limit or peer</th><th>its ns</th><th>ratio</th><th>2 threads</th>"
      "<th>4 threads</th></tr>";
  for (const SpeedResult& s : report.speed) {
    ratios.push_back({s.engine, s.ratio(), absl::StrFormat("%.2fx %s", s.ratio(), s.limit),
                      PaletteColor(0)});
    for (int threads : {2, 4}) {
      auto it = s.scaling.find(threads);
      if (it == s.scaling.end()) continue;
      scaling.push_back({absl::StrCat(s.engine, " x", threads), it->second,
                         absl::StrFormat("%.2fx", it->second), PaletteColor(threads == 2 ? 2 : 1)});
    }
    auto scale = [&](int threads) {
      auto it = s.scaling.find(threads);
      return it == s.scaling.end() ? std::string("&mdash;") : absl::StrFormat("%.2fx", it->second);
    };
    absl::StrAppend(&table,
                    absl::StrFormat("<tr data-engine=\"%s\"><td>%s</td><td>%s</td><td "
                                    "class=\"num\">%.1f</td><td>%s</td><td class=\"num\">%.1f</td>"
                                    "<td class=\"num ratio\">%.2fx</td><td class=\"num\">%s</td>"
                                    "<td class=\"num\">%s</td></tr>",
                                    Escape(s.engine), Escape(s.engine), Escape(s.workload), s.ns,
                                    Escape(s.limit),
                                    s.limit_ns, s.ratio(), scale(2), scale(4)));
  }
  table += "</table>";
  BarChartOptions ratio_options;
  ratio_options.log_scale = true;
  ratio_options.min_value = 0.1;
  ratio_options.reference = 1;
  ratio_options.axis_label = "time per call / the limit's, same run (log scale; 1 = the limit)";
  BarChartOptions scaling_options;
  scaling_options.reference = 1;
  scaling_options.axis_label = "throughput / one thread's (2 cores)";
  std::string html = "<div class=\"charts\"><div id=\"chart-ratios\"><h3>Ratio to the limit</h3>" +
                     BarChart(ratios, ratio_options) +
                     "</div><div id=\"chart-scaling\"><h3>Thread scaling</h3>" +
                     BarChart(scaling, scaling_options) + "</div></div>" + table;
  if (!report.peers.empty()) {
    html += "<h3>Limits and peers, same run</h3><table id=\"peers-table\"><tr><th>peer</th>"
            "<th>ns per call</th></tr>";
    for (const PeerResult& p : report.peers) {
      absl::StrAppend(&html, absl::StrFormat("<tr><td>%s</td><td class=\"num\">%.1f</td></tr>",
                                             Escape(p.name), p.ns));
    }
    html += "</table>";
  }
  return html;
}

std::string HitRatios(const Report& report) {
  if (report.hit_ratios.empty()) {
    std::string html = "<p class=\"muted\">Hit ratios were not simulated in this run.</p>";
    for (const std::string& note : report.hit_ratio_notes) {
      absl::StrAppend(&html, "<p class=\"note\">", Escape(note), "</p>");
    }
    return html;
  }
  std::vector<std::string> traces;
  for (const HitRatioResult& r : report.hit_ratios) {
    if (std::find(traces.begin(), traces.end(), r.trace) == traces.end()) traces.push_back(r.trace);
  }
  std::string charts = "<div class=\"charts\">", tables;
  for (const std::string& trace : traces) {
    std::vector<double> percents;
    std::vector<std::string> policies;
    for (const HitRatioResult& r : report.hit_ratios) {
      if (r.trace != trace) continue;
      if (std::find(percents.begin(), percents.end(), r.percent) == percents.end()) {
        percents.push_back(r.percent);
      }
      if (std::find(policies.begin(), policies.end(), r.policy) == policies.end()) {
        policies.push_back(r.policy);
      }
    }
    std::sort(percents.begin(), percents.end());
    std::vector<std::string> x_labels;
    for (double p : percents) x_labels.push_back(absl::StrFormat("%g%%", p));
    std::vector<Series> series;
    std::string table = absl::StrCat("<table class=\"hit-table\" data-trace=\"", Escape(trace),
                                     "\"><tr><th>", Escape(trace), " hit ratio</th>");
    for (const std::string& label : x_labels) absl::StrAppend(&table, "<th>", label, "</th>");
    table += "</tr>";
    size_t color = 0;
    for (const std::string& policy : policies) {
      Series s{policy, std::vector<double>(percents.size(), std::nan("")), "", false};
      if (policy == "opt") {
        s.color = "#111111";
        s.dashed = true;
      } else if (policy == "lru") {
        s.color = "#999999";
        s.dashed = true;
      } else {
        s.color = PaletteColor(color++);
      }
      absl::StrAppend(&table, "<tr><td>", Escape(policy), "</td>");
      for (size_t i = 0; i < percents.size(); ++i) {
        std::string cell = "<td class=\"num muted\">&mdash;</td>";
        for (const HitRatioResult& r : report.hit_ratios) {
          if (r.trace == trace && r.policy == policy && r.percent == percents[i]) {
            s.y[i] = 1 - r.hit_ratio;
            cell = absl::StrFormat("<td class=\"num\">%.4f</td>", r.hit_ratio);
          }
        }
        table += cell;
      }
      table += "</tr>";
      series.push_back(std::move(s));
    }
    charts += absl::StrCat("<div class=\"trace\" data-trace=\"", Escape(trace), "\">",
                           LineChart(trace, x_labels, "capacity (% of distinct keys)",
                                     "miss ratio", series),
                           "</div>");
    tables += table + "</table>";
  }
  std::string notes;
  for (const std::string& note : report.hit_ratio_notes) {
    absl::StrAppend(&notes, "<p class=\"note\">", Escape(note), "</p>");
  }
  return charts + "</div>" + notes + "<div class=\"tables\">" + tables + "</div>";
}

}  // namespace

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

int Report::EnginesPassing() const {
  return static_cast<int>(std::count_if(engines.begin(), engines.end(), [](const EngineResult& e) {
    return !e.broken && !e.third_party && e.good;
  }));
}

int Report::BrokenCaught() const {
  return static_cast<int>(std::count_if(engines.begin(), engines.end(), [](const EngineResult& e) {
    return e.broken && e.good;
  }));
}

bool Report::AllGood() const {
  for (const auto& [name, suite] : other_tests) {
    if (suite.failed > 0 || suite.crashed || suite.exit_code != 0) return false;
  }
  return problems.empty() &&
         std::all_of(engines.begin(), engines.end(), [](const EngineResult& e) { return e.good; });
}

// Each third-party engine's row, then every test the battery failed it on with what the test
// printed (the failure message or the shrunk counterexample) and the command that reproduces it.
std::string ThirdParty(const Report& report) {
  std::string html =
      "<table class=\"scorecard\" id=\"third-party\"><tr><th>engine</th><th>conformance<br>"
      "passed / failed / skipped</th><th>properties</th><th>stress</th><th>verdict</th></tr>";
  std::string findings;
  for (const EngineResult& e : report.engines) {
    if (!e.third_party) continue;
    absl::StrAppend(&html, "<tr data-engine=\"", Escape(e.label), "\"><td><code>",
                    Escape(e.label), "</code></td>");
    for (const char* name : kSuites) {
      auto it = e.suites.find(name);
      html += Counts(it == e.suites.end() ? SuiteResult() : it->second);
    }
    absl::StrAppend(&html, "<td>", Escape(e.verdict), "</td></tr>");
    for (const char* name : kSuites) {
      auto it = e.suites.find(name);
      if (it == e.suites.end()) continue;
      const SuiteResult& suite = it->second;
      for (size_t i = 0; i < suite.failures.size(); ++i) {
        absl::StrAppend(&findings, "<li class=\"finding\" data-engine=\"", Escape(e.label),
                        "\"><code>", Escape(e.label), "</code> ", name, ": ",
                        Escape(suite.failures[i]));
        if (i < suite.details.size() && !suite.details[i].empty()) {
          absl::StrAppend(&findings, "<pre>", Escape(suite.details[i]), "</pre>");
        }
        if (i < suite.reproduce.size()) {
          absl::StrAppend(&findings, "<code>", Escape(suite.reproduce[i]), "</code>");
        }
        findings += "</li>";
      }
    }
  }
  html += "</table>";
  if (!findings.empty()) absl::StrAppend(&html, "<h3>Findings</h3><ul>", findings, "</ul>");
  return html;
}

std::string RenderHtml(const Report& report) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>cachelab report</title><style>",
      kStyle, "</style></head><body>\n<h1>cachelab report</h1><p class=\"meta\">",
      Escape(absl::StrCat(report.mode, " run started ", report.started, " · commit ",
                          report.commit, " · ", report.machine, " · ", report.build)),
      "</p><p class=\"meta\">", Escape(report.settings),
      "</p>\n<section id=\"summary\">", Summary(report), "</section>\n");
  absl::StrAppend(&html, "<section id=\"scorecard\"><h2>Scorecard</h2><p>Every registered engine "
                         "through the battery its capabilities call for: the typed conformance "
                         "suites, the model-based properties and the stress battery "
                         "(linearizability, load, kills, corruption, full disk).</p>",
                  ScorecardTable(report, false), OtherTests(report), "</section>\n");
  absl::StrAppend(&html, "<section id=\"broken\"><h2>Broken engines</h2><p>Engines with one "
                         "deliberate bug each; the battery must fail every one.</p>",
                  ScorecardTable(report, true),
                  "<h3>Battery strength</h3><p>Each battery alone: the broken engines it fails, "
                  "and how short the property counterexamples shrink.</p>",
                  Strength(report), "</section>\n");
  if (std::any_of(report.engines.begin(), report.engines.end(),
                  [](const EngineResult& e) { return e.third_party; })) {
    absl::StrAppend(&html, "<section id=\"third-party-engines\"><h2>Third-party engines</h2><p>"
                           "Engines nobody here wrote, plugged in through the macro as their "
                           "users would (examples/). Where the battery fails them, the finding "
                           "is shown with what the test printed; it does not fail the run.</p>",
                    ThirdParty(report), "</section>\n");
  }
  absl::StrAppend(&html, "<section id=\"speed\"><h2>Speed</h2><p>Each engine's standard workload "
                         "(100-byte values) against the limit of what it is built on, measured "
                         "in the same run: ratios hold on a noisy machine where absolute times "
                         "do not.</p>",
                  Speed(report), "</section>\n");
  absl::StrAppend(&html, "<section id=\"hit-ratios\"><h2>Hit ratios</h2><p>Miss ratio against "
                         "capacity on the shared traces, every request a lookup and an insert "
                         "on a miss; OPT is Belady's clairvoyant optimum (with admission), the "
                         "floor no policy can beat.</p>",
                  HitRatios(report), "</section>\n");
  absl::StrAppend(&html, "<section id=\"regressions\"><h2>Regressions</h2><p>",
                  Escape(report.regressions), "</p></section>\n");
  if (!report.problems.empty()) {
    html += "<section id=\"problems\"><h2>Steps that could not run</h2><ul>";
    for (const std::string& p : report.problems) absl::StrAppend(&html, "<li>", Escape(p), "</li>");
    html += "</ul></section>\n";
  }
  return html + "</body></html>\n";
}

nlohmann::json ToJson(const Report& report) {
  nlohmann::json json;
  json["mode"] = report.mode;
  json["settings"] = report.settings;
  json["started"] = report.started;
  json["commit"] = report.commit;
  json["machine"] = report.machine;
  json["build"] = report.build;
  json["seconds"] = report.seconds;
  json["engines_passing"] = report.EnginesPassing();
  json["broken_caught"] = report.BrokenCaught();
  json["all_good"] = report.AllGood();
  for (const char* list : {"engines", "speed", "peers", "hit_ratios"}) {
    json[list] = nlohmann::json::array();  // present even when empty
  }
  for (const EngineResult& e : report.engines) {
    nlohmann::json engine = {{"label", e.label},         {"broken", e.broken},
                             {"third_party", e.third_party}, {"good", e.good},
                             {"verdict", e.verdict}};
    for (const auto& [name, suite] : e.suites) {
      engine["suites"][name] = {{"ran", suite.ran},         {"passed", suite.passed},
                                {"failed", suite.failed},   {"skipped", suite.skipped},
                                {"failures", suite.failures}, {"reproduce", suite.reproduce},
                                {"details", suite.details},
                                {"counterexample_lengths", suite.counterexample_lengths},
                                {"seconds", suite.seconds}};
    }
    json["engines"].push_back(engine);
  }
  for (const SpeedResult& s : report.speed) {
    nlohmann::json scaling;
    for (const auto& [threads, value] : s.scaling) scaling[absl::StrCat(threads)] = value;
    json["speed"].push_back({{"engine", s.engine}, {"workload", s.workload}, {"ns", s.ns},
                             {"limit", s.limit}, {"limit_ns", s.limit_ns}, {"ratio", s.ratio()},
                             {"scaling", scaling}});
  }
  for (const PeerResult& p : report.peers) json["peers"].push_back({{"name", p.name}, {"ns", p.ns}});
  for (const HitRatioResult& r : report.hit_ratios) {
    json["hit_ratios"].push_back({{"trace", r.trace}, {"policy", r.policy},
                                  {"capacity", r.capacity}, {"percent", r.percent},
                                  {"hit_ratio", r.hit_ratio}});
  }
  json["hit_ratio_notes"] = report.hit_ratio_notes;
  json["regressions"] = report.regressions;
  json["problems"] = report.problems;
  return json;
}

}  // namespace cachelab::reports
