// Track model of the demo data: the segment list of the lap and the construction of the
// reference lap from it (see track_model.h).
#include "cli/demo_data/track_model.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "cli/demo_data/deterministic_math.h"

namespace apex::demo_data {
namespace {

// A GR86 on Cup slicks: about 1.2-1.3 g of grip in any direction (the friction circle), of which
// straight-line braking uses up to 1.05 g; what a corner uses sideways is not there for
// braking or driving out of it.
constexpr double kGrip = 1.22;        // g, the friction circle's radius
constexpr double kBrakeDecel = 1.05;  // g, straight-line braking
constexpr double kDriveAccel = 0.57;  // g, full throttle from low speed (traction)

// Longitudinal acceleration left when the corner takes `lateral_g`, capped at `cap_g`.
double longitudinal_left(double lateral_g, double cap_g) {
  const double left = kGrip * kGrip - lateral_g * lateral_g;
  return left > 0 ? std::min(cap_g, std::sqrt(left)) : 0.0;
}

struct Segment {
  double length_m;
  double radius_m;  // 0: straight
  int direction;    // +1 left, -1 right
};

// Front straight from the line, T1 kink, T2, T3/3a, T4, T5, the carousel (T6), T7, the esses
// (T8/8a), T9, T10, the T11 hairpin and T12 onto the straight; the last straight is sized so
// the lap is kTrackLengthM long.
constexpr Segment kLayout[] = {
    {320, 0, 0},   {70, 220, 1}, {170, 0, 0},  {60, 55, -1}, {190, 0, 0}, {50, 70, -1},  {40, 60, 1},
    {160, 0, 0},   {40, 34, -1}, {120, 0, 0},  {55, 55, 1},  {210, 0, 0}, {130, 70, -1}, {260, 0, 0},
    {38, 30, -1},  {140, 0, 0},  {40, 45, 1},  {40, 45, -1}, {110, 0, 0}, {45, 65, -1},  {230, 0, 0},
    {80, 140, -1}, {290, 0, 0},  {40, 22, -1}, {170, 0, 0},  {45, 80, 1},
};

}  // namespace

TrackModel::TrackModel() {
  const int n = static_cast<int>(kTrackLengthM);
  std::vector<double> raw;
  for (const Segment& s : kLayout) {
    const double k = s.radius_m > 0 ? s.direction / s.radius_m : 0.0;
    raw.insert(raw.end(), static_cast<std::size_t>(s.length_m), k);
  }
  raw.resize(static_cast<std::size_t>(n), 0.0);
  n_ = n;
  // Smooth curvature over ~30 m so corners have entries and exits.
  constexpr int kHalfWindow = 15;
  curvature_.assign(raw.size(), 0.0);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    double acc = 0;
    for (int j = -kHalfWindow; j <= kHalfWindow; ++j) acc += raw[static_cast<std::size_t>((i + j + n) % n)];
    curvature_[static_cast<std::size_t>(i)] = acc / (2 * kHalfWindow + 1);
    total += curvature_[static_cast<std::size_t>(i)];
  }
  const double scale = 2.0 * kPi / std::abs(total);
  for (double& k : curvature_) k *= scale;

  // Positions: integrate the heading, spread the closing error, centre the shape.
  x_.assign(raw.size(), 0.0);
  y_.assign(raw.size(), 0.0);
  double heading = 2.2;  // the front straight runs roughly north-west
  for (int i = 0; i + 1 < n; ++i) {
    heading += curvature_[static_cast<std::size_t>(i)];
    x_[static_cast<std::size_t>(i + 1)] = x_[static_cast<std::size_t>(i)] + det_cos(heading);
    y_[static_cast<std::size_t>(i + 1)] = y_[static_cast<std::size_t>(i)] + det_sin(heading);
  }
  heading += curvature_.back();
  const double ex = x_.back() + det_cos(heading);
  const double ey = y_.back() + det_sin(heading);
  double min_x = 1e18, max_x = -1e18, min_y = 1e18, max_y = -1e18;
  for (int i = 0; i < n; ++i) {
    auto idx = static_cast<std::size_t>(i);
    x_[idx] -= ex * i / n;
    y_[idx] -= ey * i / n;
    min_x = std::min(min_x, x_[idx]);
    max_x = std::max(max_x, x_[idx]);
    min_y = std::min(min_y, y_[idx]);
    max_y = std::max(max_y, y_[idx]);
  }
  for (int i = 0; i < n; ++i) {
    x_[static_cast<std::size_t>(i)] -= (min_x + max_x) / 2;
    y_[static_cast<std::size_t>(i)] -= (min_y + max_y) / 2;
  }

  // Speed profile.
  limit_.resize(raw.size());
  for (int i = 0; i < n; ++i) {
    const double k = std::max(std::abs(curvature_[static_cast<std::size_t>(i)]), 1e-9);
    limit_[static_cast<std::size_t>(i)] = std::min(kTopSpeed, std::sqrt(kGrip * kG / k));
  }
  speed_ = limit_;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < n; ++i) {
      const auto a = static_cast<std::size_t>(i);
      const auto b = static_cast<std::size_t>((i + 1) % n);
      const double lateral = speed_[a] * speed_[a] * std::abs(curvature_[a]) / kG;
      const double drive = std::max(0.03, kDriveAccel * (1.0 - speed_[a] / 60.0));
      const double accel = std::max(0.03, longitudinal_left(lateral, drive)) * kG;
      speed_[b] = std::min(speed_[b], std::sqrt(speed_[a] * speed_[a] + 2.0 * accel));
    }
    for (int i = n - 1; i >= 0; --i) {
      const auto a = static_cast<std::size_t>(i);
      const auto b = static_cast<std::size_t>((i + 1) % n);
      const double lateral = speed_[b] * speed_[b] * std::abs(curvature_[b]) / kG;
      const double decel = std::max(0.05, longitudinal_left(lateral, kBrakeDecel)) * kG;
      speed_[a] = std::min(speed_[a], std::sqrt(speed_[b] * speed_[b] + 2.0 * decel));
    }
  }
  time_.assign(raw.size() + 1, 0.0);
  for (int i = 0; i < n; ++i) {
    const auto a = static_cast<std::size_t>(i);
    const auto b = static_cast<std::size_t>((i + 1) % n);
    time_[a + 1] = time_[a] + 1.0 / (0.5 * (speed_[a] + speed_[b]));
  }
  for (double s : speed_) top_speed_ = std::max(top_speed_, s);
}

}  // namespace apex::demo_data
