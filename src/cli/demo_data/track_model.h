// Track model of the demo data: a Sonoma-like 12-turn, 4.05 km clockwise lap near 38.161 N,
// -122.455 W. As in tools/gen_telemetry.py: curvature from a segment list, smoothed and scaled
// so the heading closes, a cornering speed limit, forward (traction) and backward (braking)
// passes, and every channel derived from that speed profile.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace apex::demo_data {

inline constexpr double kG = 9.81;
inline constexpr double kTrackLengthM = 4050.0;
inline constexpr double kLat0 = 38.1610;
inline constexpr double kLon0 = -122.4550;
inline constexpr double kTopSpeed = 198.0 / 3.6;

// Sector and intermediate marks (m from the line): IM1a, S1, IM2a, S2, IM3a, line.
inline constexpr std::array<double, 6> kMarksM = {720, 1330, 2060, 2730, 3330, kTrackLengthM};

struct BaseSample {
  double speed = 0;      // m/s
  double accx_g = 0;     // longitudinal
  double curvature = 0;  // 1/m, + left
  double limit = 0;      // cornering speed limit, m/s
  double x = 0, y = 0;   // m east / north of the track centre
  double distance = 0;   // m from the line
};

class TrackModel {
 public:
  TrackModel();

  double lap_s() const { return time_.back(); }
  double top_speed_kmh() const { return top_speed_ * 3.6; }

  double time_at(double distance_m) const {
    const double d = std::clamp(distance_m, 0.0, kTrackLengthM);
    const auto i = std::min(static_cast<std::size_t>(d), static_cast<std::size_t>(n_ - 1));
    const double f = d - static_cast<double>(i);
    return time_[i] + f * (time_[i + 1] - time_[i]);
  }

  BaseSample at_time(double t) const {
    const double tb = std::clamp(t, 0.0, lap_s() - 1e-9);
    auto it = std::upper_bound(time_.begin(), time_.end(), tb);
    auto i = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, (it - time_.begin()) - 1));
    i = std::min(i, static_cast<std::size_t>(n_ - 1));
    const std::size_t j = (i + 1) % static_cast<std::size_t>(n_);
    const double f = (tb - time_[i]) / (time_[i + 1] - time_[i]);
    BaseSample s;
    s.speed = speed_[i] + f * (speed_[j] - speed_[i]);
    s.accx_g = s.speed * (speed_[j] - speed_[i]) / kG;  // v dv/ds with ds = 1 m
    s.curvature = curvature_[i];
    s.limit = limit_[i];
    s.x = x_[i] + f * (x_[j] - x_[i]);
    s.y = y_[i] + f * (y_[j] - y_[i]);
    s.distance = static_cast<double>(i) + f;
    return s;
  }

 private:
  int n_ = 0;
  std::vector<double> curvature_, x_, y_, limit_, speed_, time_;
  double top_speed_ = 0;
};

}  // namespace apex::demo_data
