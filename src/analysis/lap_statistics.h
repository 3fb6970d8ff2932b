// Small statistics over lap times, named for what they compute. Sample standard
// deviation (n - 1) everywhere: a driver's laps are a sample of their pace.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace apex {

std::optional<double> median(std::vector<double> values);
std::optional<double> mean(const std::vector<double>& values);
std::optional<double> sample_std_dev(const std::vector<double>& values);

// Percentage of laps within threshold_s of the best (the original's consistency score).
std::optional<double> percent_within_of_best(const std::vector<double>& lap_times_s, double threshold_s);

struct LinearFit {
  double slope = 0;
  double intercept = 0;
  double slope_std_error = 0;
  double r_squared = 0;
};
// Least squares y = intercept + slope * x; nullopt with fewer than 3 points or no spread in x.
std::optional<LinearFit> fit_line(const std::vector<double>& x, const std::vector<double>& y);

// The two-sided 95% critical value of Student's t with this many degrees of freedom (n - 2
// for a fitted line): a slope is significantly different from zero when |slope| exceeds it
// times its standard error. 12.706 at 1, 2.228 at 10, 2.042 at 30, tending to 1.960.
double t_critical_95(int degrees_of_freedom);

}  // namespace apex
