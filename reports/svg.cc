#include "reports/svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reports/report.h"

namespace cachelab::reports {
namespace {

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* extra = "") {
  return absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>", x, y,
                         anchor, extra, Escape(text));
}

std::string Line(double x1, double y1, double x2, double y2, const char* style) {
  return absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>", x1, y1, x2,
                         y2, style);
}

// Round numbers for a linear axis up to `max`.
double NiceCeiling(double max) {
  if (max <= 0) return 1;
  const double magnitude = std::pow(10, std::floor(std::log10(max)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step * magnitude >= max) return step * magnitude;
  }
  return 10 * magnitude;
}

}  // namespace

std::string PaletteColor(size_t i) {
  static const char* const kColors[] = {"#3b7dd8", "#e07b39", "#2a9d8f", "#c0392b", "#8e44ad",
                                        "#7f8c8d", "#d4a017", "#1abc9c", "#34495e"};
  return kColors[i % (sizeof(kColors) / sizeof(kColors[0]))];
}

std::string BarChart(const std::vector<Bar>& bars, const BarChartOptions& options) {
  const double label_width = 190, plot_width = 420, text_width = 110, row = 22, top = 10;
  const double height = top + row * bars.size() + 34;
  double max = options.reference;
  for (const Bar& bar : bars) max = std::max(max, bar.value);
  double low = 0, high = NiceCeiling(max);
  auto position = [&](double v) {
    if (options.log_scale) {
      const double clamped = std::max(v, low);
      return label_width + plot_width * (std::log10(clamped) - std::log10(low)) /
                               (std::log10(high) - std::log10(low));
    }
    return label_width + plot_width * (v - low) / (high - low);
  };
  if (options.log_scale) {
    low = options.min_value;
    high = std::pow(10, std::ceil(std::log10(std::max(max, low * 10))));
  }
  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
      "role=\"img\">",
      label_width + plot_width + text_width, height, label_width + plot_width + text_width,
      height);
  const double bottom = top + row * bars.size();
  // Grid and ticks.
  std::vector<double> ticks;
  if (options.log_scale) {
    for (double t = low; t <= high * 1.0001; t *= 10) ticks.push_back(t);
  } else {
    for (int i = 0; i <= 4; ++i) ticks.push_back(low + (high - low) * i / 4);
  }
  for (double t : ticks) {
    const double x = position(t);
    svg += Line(x, top, x, bottom, "class=\"grid\"");
    svg += Text(x, bottom + 14, absl::StrFormat("%g", t), "middle", "class=\"tick\"");
  }
  if (!options.axis_label.empty()) {
    svg += Text(label_width + plot_width / 2, bottom + 30, options.axis_label, "middle",
                "class=\"axis\"");
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = top + row * i;
    const double x0 = position(options.log_scale ? low : 0);
    const double x1 = std::max(position(bar.value), x0 + 1);
    svg += Text(label_width - 6, y + 15, bar.label, "end", "class=\"label\"");
    svg += absl::StrFormat(
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title>"
        "</rect>",
        x0, y + 3, x1 - x0, row - 6, bar.color, Escape(bar.label + ": " + bar.text));
    svg += Text(x1 + 4, y + 15, bar.text, "start", "class=\"value\"");
  }
  if (options.reference > 0) {
    const double x = position(options.reference);
    svg += Line(x, top - 4, x, bottom, "class=\"reference\"");
  }
  return svg + "</svg>";
}

std::string LineChart(const std::string& title, const std::vector<std::string>& x_labels,
                      const std::string& x_axis, const std::string& y_axis,
                      const std::vector<Series>& series) {
  const double left = 48, top = 28, plot_width = 300, plot_height = 180, legend_width = 120;
  const double width = left + plot_width + legend_width, height = top + plot_height + 44;
  double max = 0;
  for (const Series& s : series) {
    for (double y : s.y) {
      if (!std::isnan(y)) max = std::max(max, y);
    }
  }
  const double high = NiceCeiling(max);
  auto x_of = [&](size_t i) {
    return x_labels.size() <= 1 ? left + plot_width / 2
                                : left + plot_width * i / (x_labels.size() - 1);
  };
  auto y_of = [&](double y) { return top + plot_height * (1 - y / high); };
  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
      "role=\"img\">",
      width, height, width, height);
  svg += Text(left, 16, title, "start", "class=\"title\"");
  for (int i = 0; i <= 4; ++i) {
    const double v = high * i / 4;
    svg += Line(left, y_of(v), left + plot_width, y_of(v), "class=\"grid\"");
    svg += Text(left - 5, y_of(v) + 4, absl::StrFormat("%.2f", v), "end", "class=\"tick\"");
  }
  for (size_t i = 0; i < x_labels.size(); ++i) {
    svg += Text(x_of(i), top + plot_height + 15, x_labels[i], "middle", "class=\"tick\"");
  }
  svg += Text(left + plot_width / 2, top + plot_height + 32, x_axis, "middle", "class=\"axis\"");
  svg += absl::StrFormat(
      "<text transform=\"translate(12,%.1f) rotate(-90)\" text-anchor=\"middle\" "
      "class=\"axis\">%s</text>",
      top + plot_height / 2, Escape(y_axis));
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    std::string points;
    for (size_t i = 0; i < s.y.size() && i < x_labels.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      absl::StrAppendFormat(&points, "%.1f,%.1f ", x_of(i), y_of(s.y[i]));
      svg += absl::StrFormat(
          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s %s: %.4f</title>"
          "</circle>",
          x_of(i), y_of(s.y[i]), s.color, Escape(s.name), Escape(x_labels[i]), s.y[i]);
    }
    svg += absl::StrFormat(
        "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s/>", points,
        s.color, s.dashed ? "1.5" : "2", s.dashed ? " stroke-dasharray=\"5,3\"" : "");
    const double ly = top + 6 + 16 * k;
    const double lx = left + plot_width + 14;
    svg += absl::StrFormat(
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>",
        lx, ly, lx + 16, ly, s.color, s.dashed ? " stroke-dasharray=\"5,3\"" : "");
    svg += Text(lx + 20, ly + 4, s.name, "start", "class=\"legend\"");
  }
  return svg + "</svg>";
}

}  // namespace cachelab::reports
