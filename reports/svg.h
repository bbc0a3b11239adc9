// Inline SVG charts for the report: horizontal bars (linear or log scale) and line charts. The
// output is a self-contained <svg> element: no scripts, no external resources.
// Thread-safety: pure functions.
#ifndef CACHELAB_REPORTS_SVG_H_
#define CACHELAB_REPORTS_SVG_H_

#include <string>
#include <vector>

namespace cachelab::reports {

struct Bar {
  std::string label;
  double value = 0;
  std::string text;  // shown after the bar (e.g. "1.30x")
  std::string color = "#3b7dd8";
};

struct BarChartOptions {
  bool log_scale = false;  // log10 axis from min_value; values must be > 0
  double min_value = 1;    // left end of a log axis
  double reference = 0;    // > 0: a dashed vertical line at this value (e.g. 1.0x)
  std::string axis_label;
};

// One row per bar, labels on the left.
std::string BarChart(const std::vector<Bar>& bars, const BarChartOptions& options);

struct Series {
  std::string name;
  std::vector<double> y;  // one per x label; NaN: no point
  std::string color;
  bool dashed = false;
};

// Lines over evenly spaced categories `x_labels`, y from 0 to the largest value (rounded up).
std::string LineChart(const std::string& title, const std::vector<std::string>& x_labels,
                      const std::string& x_axis, const std::string& y_axis,
                      const std::vector<Series>& series);

// A fixed palette, by index.
std::string PaletteColor(size_t i);

}  // namespace cachelab::reports

#endif  // CACHELAB_REPORTS_SVG_H_
