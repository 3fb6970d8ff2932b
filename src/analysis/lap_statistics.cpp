#include "analysis/lap_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

double t_critical_95(int degrees_of_freedom) {
  // Tabulated to 30; beyond, the Cornish-Fisher expansion around z = 1.96 is within 0.001.
  static constexpr double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees_of_freedom < 1) return std::numeric_limits<double>::infinity();
  if (degrees_of_freedom <= 30) return kTable[degrees_of_freedom - 1];
  const double z = 1.959964, v = degrees_of_freedom;
  return z + (z * z * z + z) / (4 * v) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

}  // namespace apex
