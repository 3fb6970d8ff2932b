#include "analysis/lap_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace apex {

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2 == 1) return *mid;
  double upper = *mid;
  double lower = *std::max_element(values.begin(), mid);
  return (lower + upper) / 2;
}

std::optional<double> mean(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

std::optional<double> sample_std_dev(const std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  double m = *mean(values);
  double sum = 0;
  for (double v : values) sum += (v - m) * (v - m);
  return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

std::optional<double> percent_within_of_best(const std::vector<double>& lap_times_s, double threshold_s) {
  if (lap_times_s.empty()) return std::nullopt;
  double best = *std::min_element(lap_times_s.begin(), lap_times_s.end());
  auto within = std::count_if(lap_times_s.begin(), lap_times_s.end(),
                              [&](double t) { return t - best <= threshold_s + 1e-9; });
  return 100.0 * static_cast<double>(within) / static_cast<double>(lap_times_s.size());
}

std::optional<LinearFit> fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 3 || y.size() != n) return std::nullopt;
  double mx = *mean(x), my = *mean(y);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0) return std::nullopt;
  LinearFit fit;
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  double residual = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double e = y[i] - (fit.intercept + fit.slope * x[i]);
    residual += e * e;
  }
  fit.slope_std_error = std::sqrt(residual / static_cast<double>(n - 2) / sxx);
  fit.r_squared = syy > 0 ? 1 - residual / syy : 1;
  return fit;
}

}  // namespace apex
