#include "cli/demo_data_generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/time_text.h"

// What the generated tree holds (defaults: seed 2025, 8 cars, 12 laps):
//
//   sonoma-raceway/Sonoma/Race N/sonoma_lap_{start,end}_time_RN.csv, sonoma_lap_time_RN.csv
//       ECU lap events of every car, schema C.
//   sonoma-raceway/Sonoma/Race N/sonoma_telemetry_RN.csv
//       Telemetry of three cars only (roster 0-2: #7, #13, #33), two laps each (race 1 laps
//       3-4, race 2 laps 6-7), frames at 2 Hz with GPS, rpm and lap distance at 1 Hz, so the
//       whole tree stays near 5 MB (it is committed to git).
//   23_, 03_, 05_, 99_ official files per race; 26_ weather for race 1 only.
//
// The injected quirks and where they are (L = laps_per_race, roster indices in kRoster):
//   - vehicle ids: #7 is GR86-031-45 and #55 is GR86-016-9 (stale numbers), #33 is GR86-044-000.
//   - #13's ECU clock runs two days ahead of meta_time, in lap files and telemetry.
//   - race 1: full-course yellow on laps 5-6 (FLAG_AT_FL=FCY, the field bunches up on lap 6);
//     #72 pits: in-lap 8 crosses the line in the pit lane, out-lap 9 carries PIT_TIME.
//   - race 1: #46's crossing at the end of lap L-2 is logged 30 s late, so its ECU lap L-2 is
//     30 s too long and lap L-1 30 s too short.
//   - race 2: the last car of the roster retires after L-4 laps (STATUS DNF).
//   - lap 32768: race 1 #98 end/lap_time of lap 3, #55 start of lap 7; race 2 #72 end/lap_time
//     of lap 6, #46 start of lap 9. Lap 0: race 1 #33 start of lap 2.
//   - about 7% of crossings repeat 2-3 times within 50 ms; lap files are in ingestion order
//     with local shuffles; ~16% of telemetry rows are exact duplicates, batches in reverse.
//
// As in the real exports, a crossing writes end(N) and, ~1 ms later, start(N+1); the green flag
// writes no start(1), and official lap 1 runs from the green flag (it includes the grid gap),
// so only ECU laps from 2 on compare with official laps. Telemetry uses LF and ends in one.

namespace apex {
namespace {

// ---------------------------------------------------------------------------------------
// Deterministic numerics. Only IEEE basic operations (+ - * / sqrt, exact rounding) are
// used, never libm transcendental functions, whose last bit may differ between platforms.

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double det_log(double x) {
  int exponent = 0;
  double m = std::frexp(x, &exponent);  // x = m * 2^exponent, m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --exponent;
  }
  const double t = (m - 1.0) / (m + 1.0);  // |t| < 0.172
  const double t2 = t * t;
  double term = t;
  double sum = 0.0;
  for (int k = 1; k <= 25; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2.0 * sum + exponent * kLn2;
}

double reduce_angle(double x) {
  return x - 2.0 * kPi * std::round(x / (2.0 * kPi));
}

double det_sin(double x) {
  const double r = reduce_angle(x);
  double term = r;
  double sum = r;
  for (int k = 1; k <= 14; ++k) {
    term *= -r * r / ((2.0 * k) * (2.0 * k + 1.0));
    sum += term;
  }
  return sum;
}

double det_cos(double x) {
  const double r = reduce_angle(x);
  double term = 1.0;
  double sum = 1.0;
  for (int k = 1; k <= 14; ++k) {
    term *= -r * r / ((2.0 * k - 1.0) * (2.0 * k));
    sum += term;
  }
  return sum;
}

// atan for the small arguments of the steering model (|x| < 0.2).
double small_atan(double x) {
  const double x2 = x * x;
  return x * (1.0 - x2 * (1.0 / 3.0 - x2 * (1.0 / 5.0 - x2 * (1.0 / 7.0))));
}

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Inclusive range.
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }

  // Marsaglia's polar method with our own log.
  double normal() {
    for (;;) {
      const double u = 2.0 * uniform() - 1.0;
      const double v = 2.0 * uniform() - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * det_log(s) / s);
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ULL);
  return splitmix64(state);
}

// ---------------------------------------------------------------------------------------
// Text formatting: integers through snprintf, doubles through std::to_chars (shortest
// round-trip form, exact and therefore platform-independent).

using Ms = std::int64_t;
constexpr Ms kDayMs = 86'400'000;

std::string shortest(double v) {
  if (v == 0.0) v = 0.0;  // no "-0"
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// Like Python's repr of a float, which the weather export uses: "993.0", "29.87".
std::string py_float(double v) {
  std::string s = shortest(v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

double round_to(double v, double scale) {
  return std::round(v * scale) / scale;
}

struct Civil {
  std::int64_t year, month, day;
};

constexpr std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr Ms epoch_ms(std::int64_t y, std::int64_t mo, std::int64_t d, std::int64_t h, std::int64_t mi,
                      std::int64_t s) {
  return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60'000 + s * 1000;
}

std::string iso_ms(Ms t) {
  return format_iso8601_ms(t);
}

// Weather times: "7/19/2025 6:04:18 PM" (UTC, as at Barber).
std::string us_datetime(std::int64_t epoch_s) {
  const Civil c = civil_from_days(epoch_s / 86'400);
  const std::int64_t r = epoch_s % 86'400;
  const std::int64_t h = r / 3600;
  const std::int64_t h12 = h % 12 == 0 ? 12 : h % 12;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld/%lld/%lld %lld:%02lld:%02lld %s", static_cast<long long>(c.month),
                static_cast<long long>(c.day), static_cast<long long>(c.year), static_cast<long long>(h12),
                static_cast<long long>(r / 60 % 60), static_cast<long long>(r % 60), h < 12 ? "AM" : "PM");
  return buf;
}

// "1:50.123", or "1:02:03.456" from an hour on. Also the format of ELAPSED and S*_LARGE.
std::string clock_text(Ms ms) {
  char buf[40];
  if (ms >= 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  }
  return buf;
}

// PIT_TIME: "0:00:35.158".
std::string hms_text(Ms ms) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000));
  return buf;
}

// HOUR: local time of day of a crossing, "11:07:32.378".
std::string time_of_day(Ms local_ms) {
  const Ms r = ((local_ms % kDayMs) + kDayMs) % kDayMs;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(r / 3'600'000),
                static_cast<long long>(r / 60'000 % 60), static_cast<long long>(r / 1000 % 60),
                static_cast<long long>(r % 1000));
  return buf;
}

// "36.920".
std::string seconds_fixed(Ms ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

// "26.9", "39.57", "27.0": trailing zeros dropped, as the official export does for some columns.
std::string seconds_trimmed(Ms ms) {
  std::string s = seconds_fixed(ms);
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

std::string fixed_or_clock(Ms ms) {
  return ms >= 60'000 ? clock_text(ms) : seconds_fixed(ms);
}
std::string trimmed_or_clock(Ms ms) {
  return ms >= 60'000 ? clock_text(ms) : seconds_trimmed(ms);
}

// One decimal from tenths: "131.5".
std::string tenths_text(std::int64_t tenths) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%lld", static_cast<long long>(tenths / 10),
                static_cast<long long>(tenths % 10));
  return buf;
}

std::string int_text(std::int64_t v) {
  return std::to_string(v);
}

// Gaps in 03_ results ("+2.740", "+1:14.985") and in 05_ results by class ("+1'14.985").
std::string gap_text(Ms ms, char minute_separator) {
  char buf[40];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "+%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "+%lld%c%02lld.%03lld", static_cast<long long>(ms / 60'000),
                  minute_separator, static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
  }
  return buf;
}

std::string laps_down_text(int laps, bool always_plural) {
  return std::to_string(laps) + (laps == 1 && !always_plural ? " Lap" : " Laps");
}

// ---------------------------------------------------------------------------------------
// Track model: a Sonoma-like 12-turn, 4.05 km clockwise lap near 38.161 N, -122.455 W.
// As in tools/gen_telemetry.py: curvature from a segment list, smoothed and scaled so the
// heading closes, a cornering speed limit, forward (traction) and backward (braking) passes,
// and every channel derived from that speed profile.

constexpr double kG = 9.81;
constexpr double kTrackLengthM = 4050.0;
constexpr double kLat0 = 38.1610;
constexpr double kLon0 = -122.4550;
constexpr double kLateralGrip = 1.30;  // g
constexpr double kBrakeDecel = 9.8;    // m/s^2
constexpr double kTopSpeed = 198.0 / 3.6;

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

// Sector and intermediate marks (m from the line): IM1a, S1, IM2a, S2, IM3a, line.
constexpr std::array<double, 6> kMarksM = {720, 1330, 2060, 2730, 3330, kTrackLengthM};

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
  TrackModel() {
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
      limit_[static_cast<std::size_t>(i)] = std::min(kTopSpeed, std::sqrt(kLateralGrip * kG / k));
    }
    speed_ = limit_;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < n; ++i) {
        const auto a = static_cast<std::size_t>(i);
        const auto b = static_cast<std::size_t>((i + 1) % n);
        const double accel = std::max(0.3, 5.6 * (1.0 - speed_[a] / 60.0));
        speed_[b] = std::min(speed_[b], std::sqrt(speed_[a] * speed_[a] + 2.0 * accel));
      }
      for (int i = n - 1; i >= 0; --i) {
        const auto a = static_cast<std::size_t>(i);
        const auto b = static_cast<std::size_t>((i + 1) % n);
        speed_[a] = std::min(speed_[a], std::sqrt(speed_[b] * speed_[b] + 2.0 * kBrakeDecel));
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

// ---------------------------------------------------------------------------------------
// The field. Numbers and vehicle ids are fixed so the quirks sit at documented places; pace
// comes from the seed.

struct RosterEntry {
  int number;              // race number in the official files
  const char* vehicle_id;  // ECU id; the number in it may be stale
  int id_number;           // the number inside the id (telemetry vehicle_number)
};

constexpr RosterEntry kRoster[] = {
    {7, "GR86-031-45", 45},    // stale number
    {13, "GR86-022-13", 13},   // ECU clock two days ahead
    {33, "GR86-044-000", 0},   // unassigned
    {55, "GR86-016-9", 9},     // stale number
    {46, "GR86-033-46", 46},   // race 1: mis-timed crossing
    {72, "GR86-026-072", 72},  // race 1: pit stop; padded number
    {98, "GR86-036-98", 98},  {21, "GR86-047-21", 21},    {2, "GR86-002-2", 2},    {5, "GR86-065-5", 5},
    {18, "GR86-030-18", 18},  {31, "GR86-015-031", 31},   {41, "GR86-006-41", 41}, {47, "GR86-025-47", 47},
    {51, "GR86-040-51", 51},  {58, "GR86-063-58", 58},    {80, "GR86-013-80", 80}, {88, "GR86-049-88", 88},
    {93, "GR86-038-93", 93},  {111, "GR86-060-111", 111},
};
constexpr int kRosterSize = static_cast<int>(std::size(kRoster));

constexpr int kSkewedClockCar = 1;
constexpr int kMisTimedCar = 4;
constexpr int kPitCar = 5;
constexpr Ms kMisTimedErrorMs = 30'000;
constexpr int kFcyFirstLap = 5;  // race 1: laps 5 and 6
constexpr int kPitInLap = 8;     // race 1: in-lap 8, out-lap 9
constexpr std::array<int, 3> kTelemetryCars = {0, 1, 2};
constexpr Ms kTelemetryFrameMs = 500;  // 2 Hz; GPS, rpm and lap distance every other frame

struct LapOverride {
  int race;
  int car;
  int lap;
  bool start_row;  // false: the end and lap_time rows of the crossing that ends `lap`
  int value;
};
constexpr LapOverride kLapOverrides[] = {
    {1, 6, 3, false, 32768}, {1, 3, 7, true, 32768}, {1, 2, 2, true, 0},
    {2, 5, 6, false, 32768}, {2, 4, 9, true, 32768},
};

constexpr const char* kEvent = "I_R04_2025-07-20";
constexpr const char* kSource = "kafka:gr-raw";
constexpr Ms kLocalOffsetMs = -7 * 3'600'000;  // PDT

struct LapRow {
  int lap = 0;
  std::array<Ms, 3> sector{};   // S1..S3
  std::array<Ms, 3> split_a{};  // IM1a, IM2a, IM3a: first part of each sector
  Ms lap_ms = 0;
  Ms elapsed_ms = 0;
  Ms pit_time_ms = 0;  // on the out-lap
  bool in_pit = false;
  const char* flag = "GF";
  std::int64_t top_speed_tenths = 0;
};

struct CarRace {
  int roster = 0;
  double form_ms = 0;  // expected green-flag lap
  double degradation = 0;
  Ms grid_gap_ms = 0;    // from the green flag until the car crosses the line
  Ms ecu_offset_ms = 0;  // ECU clock minus true time
  bool retired = false;
  std::vector<LapRow> laps;

  const RosterEntry& entry() const { return kRoster[roster]; }
};

struct Race {
  int number = 1;
  std::string session;  // "R1"
  Ms green_ms = 0;      // epoch ms of the green flag
  int laps = 0;
  std::vector<CarRace> cars;
};

struct Context {
  const DemoDataOptions& options;
  TrackModel track;
  std::array<double, 3> base_sector_s{};
  std::array<double, 3> split_fraction{};  // base time of IMxa / base time of the sector
  std::vector<double> target_ms;           // per roster car, shared by both races
};

// --------------------------------------------------------------------------------------- race

std::array<Ms, 3> distribute(Ms total, const std::array<double, 3>& weights) {
  const double sum = weights[0] + weights[1] + weights[2];
  std::array<Ms, 3> out{};
  out[0] = std::llround(static_cast<double>(total) * weights[0] / sum);
  out[1] = std::llround(static_cast<double>(total) * weights[1] / sum);
  out[2] = total - out[0] - out[1];
  return out;
}

void set_splits(const Context& ctx, Rng& rng, LapRow& row) {
  for (std::size_t i = 0; i < 3; ++i) {
    const double f = ctx.split_fraction[i] * (1.0 + 0.004 * rng.normal());
    row.split_a[i] =
        std::clamp<Ms>(std::llround(static_cast<double>(row.sector[i]) * f), 1, row.sector[i] - 1);
  }
}

Race simulate_race(const Context& ctx, int number) {
  const DemoDataOptions& opt = ctx.options;
  Rng rng(stream_seed(opt.seed, 100 + static_cast<std::uint64_t>(number)));
  Race race;
  race.number = number;
  race.session = "R" + std::to_string(number);
  race.laps = opt.laps_per_race;
  race.green_ms = number == 1 ? epoch_ms(2025, 7, 19, 18, 5, 0) + rng.range(0, 59'999)
                              : epoch_ms(2025, 7, 20, 16, 40, 0) + rng.range(0, 59'999);
  const double base_lap_ms = ctx.track.lap_s() * 1000.0;

  for (int c = 0; c < opt.cars; ++c) {
    CarRace car;
    car.roster = c;
    car.form_ms = ctx.target_ms[static_cast<std::size_t>(c)] * (1.0 + 0.0025 * rng.normal());
    car.degradation = rng.uniform(0.00012, 0.00045);
    car.ecu_offset_ms = rng.range(-400, 400) + (c == kSkewedClockCar ? 2 * kDayMs : 0);
    race.cars.push_back(car);
  }
  // Grid: by form with some qualifying luck; a rolling start crosses the line in file.
  std::vector<std::pair<double, int>> grid;
  for (int c = 0; c < opt.cars; ++c)
    grid.emplace_back(race.cars[static_cast<std::size_t>(c)].form_ms + 350.0 * rng.normal(), c);
  std::sort(grid.begin(), grid.end());
  for (std::size_t pos = 0; pos < grid.size(); ++pos)
    race.cars[static_cast<std::size_t>(grid[pos].second)].grid_gap_ms =
        static_cast<Ms>(pos) * 430 + (pos == 0 ? 0 : rng.range(0, 120));

  const int dnf_car = number == 2 ? opt.cars - 1 : -1;
  const int dnf_laps = opt.laps_per_race - 4;
  const bool fcy = number == 1;
  Ms pending_pit_extra = 0;

  for (int lap = 1; lap <= race.laps; ++lap) {
    std::vector<int> active;
    for (int c = 0; c < opt.cars; ++c)
      if (!(c == dnf_car && lap > dnf_laps)) active.push_back(c);

    for (int c : active) {
      CarRace& car = race.cars[static_cast<std::size_t>(c)];
      LapRow row;
      row.lap = lap;
      std::array<double, 3> factor = {1.0, 1.0, 1.0};
      if (fcy && lap == kFcyFirstLap) factor = {1.0, 1.2, 1.42};  // yellow comes out in S2
      if (fcy && lap == kFcyFirstLap + 2) factor[0] = 1.07;       // restart from pace speed
      double lap_factor = 1.0 + 0.0016 * rng.normal() + car.degradation * (lap - 1);
      if (lap == 1) lap_factor *= 1.035;
      const double pace = car.form_ms / base_lap_ms;
      for (std::size_t i = 0; i < 3; ++i) {
        row.sector[i] = std::llround(ctx.base_sector_s[i] * 1000.0 * pace * lap_factor * factor[i] *
                                     (1.0 + 0.0035 * rng.normal()));
      }
      if (lap == 1) row.sector[0] += car.grid_gap_ms;
      set_splits(ctx, rng, row);
      if (fcy && c == kPitCar && lap == kPitInLap) {
        pending_pit_extra = 17'800 + rng.range(0, 900);
        row.sector[2] += pending_pit_extra;  // the pit lane bypasses the last corner
        row.in_pit = true;
      }
      if (fcy && c == kPitCar && lap == kPitInLap + 1) {
        const Ms extra = 9'200 + rng.range(0, 700);
        row.sector[0] += extra;
        row.split_a[0] += extra;
        row.pit_time_ms = pending_pit_extra + extra + 7'400 + rng.range(0, 300);
      }
      double top = ctx.track.top_speed_kmh() / pace * (1.0 + 0.004 * rng.normal());
      if (fcy && lap == kFcyFirstLap) top *= 0.96;
      if (fcy && lap == kFcyFirstLap + 1) top *= 0.78;
      row.top_speed_tenths = std::llround(top * 10.0);
      if (fcy && (lap == kFcyFirstLap || lap == kFcyFirstLap + 1)) row.flag = "FCY";
      if (lap == race.laps) row.flag = "FF";
      row.lap_ms = row.sector[0] + row.sector[1] + row.sector[2];
      row.elapsed_ms = (car.laps.empty() ? 0 : car.laps.back().elapsed_ms) + row.lap_ms;
      car.laps.push_back(row);
    }

    // Second lap under yellow: the field closes up behind the leader, no passing.
    if (fcy && lap == kFcyFirstLap + 1) {
      std::vector<int> order = active;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return race.cars[static_cast<std::size_t>(a)].laps[static_cast<std::size_t>(lap - 2)].elapsed_ms <
               race.cars[static_cast<std::size_t>(b)].laps[static_cast<std::size_t>(lap - 2)].elapsed_ms;
      });
      Ms previous_cross = 0;
      for (std::size_t k = 0; k < order.size(); ++k) {
        CarRace& car = race.cars[static_cast<std::size_t>(order[k])];
        LapRow& row = car.laps.back();
        const Ms before = car.laps[car.laps.size() - 2].elapsed_ms;
        const double green = car.form_ms;
        Ms cross = before + std::llround(green * (k == 0 ? 1.36 : 1.17));
        if (k > 0) cross = std::max(cross, previous_cross + rng.range(700, 1400));
        row.lap_ms = cross - before;
        row.sector = distribute(row.lap_ms, ctx.base_sector_s);
        set_splits(ctx, rng, row);
        row.elapsed_ms = cross;
        previous_cross = cross;
      }
    }
  }
  if (dnf_car >= 0) race.cars[static_cast<std::size_t>(dnf_car)].retired = true;
  return race;
}

// ---------------------------------------------------------------------------------------
// Official timing files: ';' separated, Barber's header names; at this track with a UTF-8
// BOM, CRLF and a trailing ';' on every line.

std::string official_file(const std::vector<std::string>& lines) {
  std::string out = "\xEF\xBB\xBF";
  for (const std::string& line : lines) {
    out += line;
    out += ";\r\n";
  }
  return out;
}

std::string join(const std::vector<std::string>& fields, char sep) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += sep;
    out += fields[i];
  }
  return out;
}

Ms kph_tenths(Ms lap_ms) {
  const Ms numerator = static_cast<Ms>(kTrackLengthM * 36'000.0);  // m * 3.6 * 10 * 1000
  return (numerator + lap_ms / 2) / lap_ms;
}

// Cars in the order of the sections file: by car number as text, as the real export sorts.
std::vector<const CarRace*> by_number_text(const Race& race) {
  std::vector<const CarRace*> cars;
  for (const CarRace& c : race.cars) cars.push_back(&c);
  std::sort(cars.begin(), cars.end(), [](const CarRace* a, const CarRace* b) {
    return std::to_string(a->entry().number) < std::to_string(b->entry().number);
  });
  return cars;
}

// Index of the first minimum.
template <typename F>
std::size_t argmin(const std::vector<LapRow>& laps, F value) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < laps.size(); ++i)
    if (value(laps[i]) < value(laps[best])) best = i;
  return best;
}

std::string sections_file(const Race& race) {
  // Improvement markers: 2 on a car's best lap (sector), 3 on the session's best.
  struct Marks {
    std::vector<std::array<int, 4>> per_lap;  // lap, S1, S2, S3
  };
  std::vector<Marks> marks(race.cars.size());
  std::array<std::pair<Ms, std::pair<std::size_t, std::size_t>>, 4> overall;
  overall.fill({std::numeric_limits<Ms>::max(), {0, 0}});
  for (std::size_t c = 0; c < race.cars.size(); ++c) {
    const auto& laps = race.cars[c].laps;
    marks[c].per_lap.assign(laps.size(), {0, 0, 0, 0});
    for (std::size_t m = 0; m < 4; ++m) {
      auto value = [m](const LapRow& r) { return m == 0 ? r.lap_ms : r.sector[m - 1]; };
      const std::size_t best = argmin(laps, value);
      marks[c].per_lap[best][m] = 2;
      if (value(laps[best]) < overall[m].first) overall[m] = {value(laps[best]), {c, best}};
    }
  }
  for (std::size_t m = 0; m < 4; ++m) marks[overall[m].second.first].per_lap[overall[m].second.second][m] = 3;

  std::vector<std::string> lines = {
      "NUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT; CROSSING_FINISH_LINE_IN_PIT; S1; "
      "S1_IMPROVEMENT; S2; S2_IMPROVEMENT; S3; S3_IMPROVEMENT; KPH; ELAPSED; "
      "HOUR;S1_LARGE;S2_LARGE;S3_LARGE;TOP_SPEED;PIT_TIME;CLASS;GROUP;MANUFACTURER;FLAG_AT_FL;S1_SECONDS;S2_"
      "SECONDS;S3_SECONDS;IM1a_time;IM1a_elapsed;IM1_time;IM1_elapsed;IM2a_time;IM2a_elapsed;IM2_time;IM2_"
      "elapsed;IM3a_time;IM3a_elapsed;FL_time;FL_elapsed"};
  for (const CarRace* car : by_number_text(race)) {
    const std::size_t c = static_cast<std::size_t>(car - race.cars.data());
    for (std::size_t i = 0; i < car->laps.size(); ++i) {
      const LapRow& r = car->laps[i];
      const auto& mk = marks[c].per_lap[i];
      const Ms s1 = r.sector[0], s2 = r.sector[1], s3 = r.sector[2];
      const Ms im1a = r.split_a[0], im2a = r.split_a[1], im3a = r.split_a[2];
      std::vector<std::string> f = {
          int_text(car->entry().number),
          "1",
          int_text(r.lap),
          clock_text(r.lap_ms),
          int_text(mk[0]),
          r.in_pit ? "B" : "",
          trimmed_or_clock(s1),
          int_text(mk[1]),
          fixed_or_clock(s2),
          int_text(mk[2]),
          fixed_or_clock(s3),
          int_text(mk[3]),
          tenths_text(kph_tenths(r.lap_ms)),
          clock_text(r.elapsed_ms),
          time_of_day(race.green_ms + r.elapsed_ms + kLocalOffsetMs),
          clock_text(s1),
          clock_text(s2),
          clock_text(s3),
          tenths_text(r.top_speed_tenths),
          r.pit_time_ms > 0 ? hms_text(r.pit_time_ms) : "",
          "Am",
          "",
          "Toyota Gazoo Racing",
          r.flag,
          seconds_trimmed(s1),
          seconds_trimmed(s2),
          seconds_trimmed(s3),
          trimmed_or_clock(im1a),
          trimmed_or_clock(im1a),
          trimmed_or_clock(s1 - im1a),
          trimmed_or_clock(s1),
          trimmed_or_clock(im2a),
          trimmed_or_clock(s1 + im2a),
          trimmed_or_clock(s2 - im2a),
          trimmed_or_clock(s1 + s2),
          trimmed_or_clock(im3a),
          trimmed_or_clock(s1 + s2 + im3a),
          fixed_or_clock(s3 - im3a),
          clock_text(r.lap_ms),
      };
      lines.push_back(join(f, ';'));
    }
  }
  return official_file(lines);
}

struct Standing {
  const CarRace* car;
  int laps;
  Ms total_ms;
  std::size_t best;  // index of the fastest lap
};

std::vector<Standing> standings(const Race& race) {
  std::vector<Standing> out;
  for (const CarRace& c : race.cars) {
    out.push_back({&c, static_cast<int>(c.laps.size()), c.laps.back().elapsed_ms,
                   argmin(c.laps, [](const LapRow& r) { return r.lap_ms; })});
  }
  std::stable_sort(out.begin(), out.end(), [](const Standing& a, const Standing& b) {
    if (a.laps != b.laps) return a.laps > b.laps;
    return a.total_ms < b.total_ms;
  });
  return out;
}

std::pair<std::string, std::string> gaps(const std::vector<Standing>& s, std::size_t i, char minute_sep,
                                         bool always_plural) {
  const auto gap = [&](const Standing& ahead) {
    if (ahead.laps != s[i].laps) return laps_down_text(ahead.laps - s[i].laps, always_plural);
    return gap_text(s[i].total_ms - ahead.total_ms, minute_sep);
  };
  return {gap(s[0]), gap(s[i - 1])};
}

std::string results_file(const Race& race) {
  std::vector<std::string> lines = {
      "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;CLASS;GROUP;"
      "DIVISION;VEHICLE;TIRES;ECM Participant Id;ECM Team Id;ECM Category Id;ECM Car Id;ECM Brand Id;ECM "
      "Country Id;*Extra 7;*Extra 8;*Extra 9;Sort Key;DRIVER_*Extra 3;DRIVER_*Extra 4;DRIVER_*Extra 5"};
  const auto s = standings(race);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const LapRow& best = s[i].car->laps[s[i].best];
    auto [first, previous] = i == 0 ? std::pair<std::string, std::string>{"-", "-"} : gaps(s, i, ':', false);
    std::vector<std::string> f = {int_text(static_cast<std::int64_t>(i + 1)),
                                  int_text(s[i].car->entry().number),
                                  s[i].car->retired ? "DNF" : "Classified",
                                  int_text(s[i].laps),
                                  clock_text(s[i].total_ms),
                                  first,
                                  previous,
                                  int_text(best.lap),
                                  clock_text(best.lap_ms),
                                  tenths_text(kph_tenths(best.lap_ms)),
                                  "Am",
                                  "",
                                  "GR Cup",
                                  "Toyota GR86"};
    f.resize(28);
    lines.push_back(join(f, ';'));
  }
  return official_file(lines);
}

std::string results_by_class_file(const Race& race) {
  std::vector<std::string> lines = {
      "CLASS_TYPE;POS;PIC;NUMBER;VEHICLE;LAPS;ELAPSED;GAP_FIRST;GAP_PREVIOUS;BEST_LAP_NUM;BEST_LAP_TIME;BEST_"
      "LAP_"
      "KPH"};
  const auto s = standings(race);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const LapRow& best = s[i].car->laps[s[i].best];
    auto [first, previous] = i == 0 ? std::pair<std::string, std::string>{"", ""} : gaps(s, i, '\'', true);
    const std::string pos = int_text(static_cast<std::int64_t>(i + 1));
    lines.push_back(join({"Am", pos, pos, int_text(s[i].car->entry().number), "Toyota GR86",
                          int_text(s[i].laps), clock_text(s[i].total_ms), first, previous, int_text(best.lap),
                          clock_text(best.lap_ms), tenths_text(kph_tenths(best.lap_ms))},
                         ';'));
  }
  return official_file(lines);
}

std::string best_laps_file(const Race& race) {
  std::string header = "NUMBER;VEHICLE;CLASS;TOTAL_DRIVER_LAPS";
  for (int i = 1; i <= 10; ++i)
    header += ";BESTLAP_" + std::to_string(i) + ";BESTLAP_" + std::to_string(i) + "_LAPNUM";
  header += ";AVERAGE";
  std::vector<std::string> lines = {header};
  std::vector<const CarRace*> cars;
  for (const CarRace& c : race.cars) cars.push_back(&c);
  std::sort(cars.begin(), cars.end(),
            [](const CarRace* a, const CarRace* b) { return a->entry().number < b->entry().number; });
  for (const CarRace* car : cars) {
    std::vector<const LapRow*> laps;
    for (const LapRow& r : car->laps) laps.push_back(&r);
    std::stable_sort(laps.begin(), laps.end(),
                     [](const LapRow* a, const LapRow* b) { return a->lap_ms < b->lap_ms; });
    const std::size_t n = std::min<std::size_t>(10, laps.size());
    std::vector<std::string> f = {int_text(car->entry().number), "Toyota GR86", "Am",
                                  int_text(static_cast<std::int64_t>(car->laps.size()))};
    Ms sum = 0;
    for (std::size_t i = 0; i < 10; ++i) {
      if (i < n) {
        f.push_back(clock_text(laps[i]->lap_ms));
        f.push_back(int_text(laps[i]->lap));
        sum += laps[i]->lap_ms;
      } else {
        f.push_back("");
        f.push_back("");
      }
    }
    const Ms count = static_cast<Ms>(n);
    f.push_back(clock_text((sum + count / 2) / count));
    lines.push_back(join(f, ';'));
  }
  return official_file(lines);
}

std::string weather_file(const Race& race, Rng& rng) {
  std::vector<std::string> lines = {
      "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN"};
  Ms last = 0;
  for (const CarRace& c : race.cars) last = std::max(last, c.laps.back().elapsed_ms);
  std::int64_t t = (race.green_ms - 125'000) / 1000;
  const std::int64_t end = (race.green_ms + last + 150'000) / 1000;
  double air = 24.2 + 0.6 * rng.uniform(), track = 36.5 + 1.5 * rng.uniform();
  double humidity = 47.0 + 4.0 * rng.uniform(), pressure = 1012.3 + 0.6 * rng.uniform();
  double wind_dir = 235.0 + 20.0 * rng.uniform();
  for (; t <= end; t += 62 + rng.range(0, 1)) {
    air += 0.015 + 0.05 * rng.normal();
    track += 0.03 + 0.08 * rng.normal();
    humidity += -0.04 + 0.25 * rng.normal();
    pressure += 0.04 * rng.normal();
    wind_dir += 12.0 * rng.normal();
    const std::int64_t wind_tenth_ms = rng.range(8, 52);  // 0.1 m/s steps, written in km/h
    const std::int64_t direction = ((std::llround(wind_dir) % 360) + 360) % 360;
    lines.push_back(
        join({int_text(t), us_datetime(t), py_float(round_to(air, 100)), py_float(round_to(track, 100)),
              py_float(round_to(humidity, 100)), py_float(round_to(pressure, 10)),
              py_float(static_cast<double>(wind_tenth_ms * 36) / 100.0), int_text(direction), "0"},
             ';'));
  }
  return official_file(lines);
}

// ---------------------------------------------------------------------------------------
// ECU lap events, schema C.

enum class EventKind { Start, End, LapTime };

struct EcuEvent {
  EventKind kind;
  int car;
  int lap;
  Ms timestamp;  // ECU clock
  Ms meta_time;  // ingestion clock
  Ms value_ms;   // lap_time only
  std::size_t seq;
};

std::optional<int> lap_override(int race, int car, int lap, bool start_row) {
  for (const LapOverride& o : kLapOverrides)
    if (o.race == race && o.car == car && o.lap == lap && o.start_row == start_row) return o.value;
  return std::nullopt;
}

// ECU time at which each lap of a car starts (index lap-1), as the telemetry uses it.
struct EcuLaps {
  std::vector<std::vector<Ms>> start;  // per car, per lap
  std::vector<std::vector<Ms>> end;
};

std::vector<EcuEvent> ecu_events(const Race& race, Rng& rng, EcuLaps& laps_out) {
  std::vector<EcuEvent> events;
  laps_out.start.assign(race.cars.size(), {});
  laps_out.end.assign(race.cars.size(), {});
  std::size_t seq = 0;
  for (std::size_t c = 0; c < race.cars.size(); ++c) {
    const CarRace& car = race.cars[c];
    const int ci = static_cast<int>(c);
    Ms lap_start = race.green_ms + car.grid_gap_ms + car.ecu_offset_ms + rng.range(-8, 8);
    for (const LapRow& r : car.laps) {
      const Ms true_cross = race.green_ms + r.elapsed_ms;
      Ms ecu = true_cross + car.ecu_offset_ms + rng.range(-8, 8);
      const bool mis_timed = race.number == 1 && ci == kMisTimedCar && r.lap == race.laps - 2;
      if (mis_timed) ecu += kMisTimedErrorMs;
      laps_out.start[c].push_back(lap_start);
      laps_out.end[c].push_back(ecu);

      int repeats = 1;
      const int end_lap = lap_override(race.number, ci, r.lap, false).value_or(r.lap);
      const int start_lap = lap_override(race.number, ci, r.lap + 1, true).value_or(r.lap + 1);
      // Repeats stay off the crossings that carry another quirk, so each quirk occurs once.
      const bool plain = !mis_timed && end_lap == r.lap && start_lap == r.lap + 1;
      if (plain && rng.chance(0.07)) repeats = rng.chance(0.35) ? 3 : 2;
      const double u = rng.uniform();
      const Ms latency = 100 + (u < 0.85   ? rng.range(0, 2'900)
                                : u < 0.98 ? rng.range(3'000, 20'000)
                                           : rng.range(20'000, 80'900));
      const Ms start_delay = rng.chance(0.85) ? 1 : 0;
      Ms delta = 0;
      for (int k = 0; k < repeats; ++k) {
        if (k > 0) delta += rng.range(8, 22);
        const Ms meta = true_cross + latency + delta + rng.range(0, 3);
        const Ms at = ecu + delta;
        events.push_back({EventKind::End, ci, end_lap, at, meta, 0, seq++});
        events.push_back({EventKind::LapTime, ci, end_lap, at, meta, at - lap_start, seq++});
        events.push_back({EventKind::Start, ci, start_lap, at + start_delay, meta + 1, 0, seq++});
      }
      lap_start = ecu + start_delay;
    }
  }
  return events;
}

std::string lap_events_file(const Race& race, const std::vector<EcuEvent>& all, EventKind kind, Rng& rng) {
  std::vector<const EcuEvent*> rows;
  for (const EcuEvent& e : all)
    if (e.kind == kind) rows.push_back(&e);
  // Ingestion order, then a few rows moved a little: the real files are not sorted.
  std::sort(rows.begin(), rows.end(), [](const EcuEvent* a, const EcuEvent* b) {
    return a->meta_time != b->meta_time ? a->meta_time < b->meta_time : a->seq < b->seq;
  });
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    if (rng.chance(0.08)) {
      const std::size_t j = std::min(rows.size() - 1, i + static_cast<std::size_t>(rng.range(1, 40)));
      std::swap(rows[i], rows[j]);
    }
  }
  std::string out =
      "\"vehicle_id\",\"lap\",\"timestamp\",\"meta_time\",\"value\",\"meta_session\",\"meta_event\","
      "\"meta_source\",\"outing\",\"expire_at\"";
  for (const EcuEvent* e : rows) {
    const CarRace& car = race.cars[static_cast<std::size_t>(e->car)];
    const std::string ts = iso_ms(e->timestamp);
    out += "\n\"";
    out += car.entry().vehicle_id;
    out += "\",";
    out += std::to_string(e->lap);
    out += ",\"" + ts + "\",\"" + iso_ms(e->meta_time) + "\",";
    out += kind == EventKind::LapTime ? std::to_string(e->value_ms) : "\"" + ts + "\"";
    out += ",\"" + race.session + "\",\"" + kEvent + "\",\"" + kSource + "\",0,";
    if (kind == EventKind::LapTime) out += ',';  // this file's rows end in a trailing comma
  }
  return out;  // no newline at the end of the file
}

// ---------------------------------------------------------------------------------------
// Telemetry, long format.

constexpr std::array<int, 6> kGearUpKmh = {0, 62, 88, 115, 145, 175};
constexpr std::array<double, 6> kRpmPerKmh = {117.0, 82.0, 63.0, 50.0, 41.5, 34.5};

std::string telemetry_file(const Context& ctx, const Race& race, const EcuLaps& ecu, Rng& rng) {
  std::string out =
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,telemetry_name,"
      "telemetry_value,timestamp,vehicle_id,vehicle_number\n";
  const std::array<int, 2> laps = race.number == 1 ? std::array<int, 2>{3, 4} : std::array<int, 2>{6, 7};
  const double coslat = det_cos(kLat0 * kPi / 180.0);
  const std::array<double, 3> base_end = {ctx.track.time_at(kMarksM[1]), ctx.track.time_at(kMarksM[3]),
                                          ctx.track.lap_s()};

  for (int tc : kTelemetryCars) {
    const CarRace& car = race.cars[static_cast<std::size_t>(tc)];
    const std::string vid = car.entry().vehicle_id;
    const std::string tail = "," + vid + "," + std::to_string(car.entry().id_number) + "\n";
    const std::string mid = "," + vid + ",0,";
    const Ms phase = rng.range(0, kTelemetryFrameMs - 1);
    for (int lap : laps) {
      const auto li = static_cast<std::size_t>(lap - 1);
      const LapRow& row = car.laps[li];
      const Ms true_start = race.green_ms + (li == 0 ? 0 : car.laps[li - 1].elapsed_ms);
      const Ms true_end = race.green_ms + row.elapsed_ms;
      // Keep clear of the crossings so every sample lies inside its ECU lap.
      const Ms first = ecu.start[static_cast<std::size_t>(tc)][li] + 20;
      const Ms last = ecu.end[static_cast<std::size_t>(tc)][li] - 20;
      const std::string pre =
          "," + std::to_string(lap) + "," + kEvent + "," + race.session + "," + kSource + ",";

      struct Sample {
        Ms ts;
        const char* name;
        std::string value;
      };
      std::vector<Sample> batch;
      std::int64_t frame = (true_start - race.green_ms - phase) / kTelemetryFrameMs;
      auto flush = [&](Ms batch_end_true) {
        const Ms meta = batch_end_true + 60 + rng.range(0, 1'400);
        std::vector<std::string> lines;
        for (auto it = batch.rbegin(); it != batch.rend(); ++it)  // newest first, like the export
          lines.push_back(pre + iso_ms(meta) + mid + it->name + "," + it->value + "," + iso_ms(it->ts) +
                          tail);
        std::vector<std::string> copies;
        for (const std::string& l : lines)
          if (rng.chance(0.19)) copies.push_back(l);
        for (const std::string& copy : copies) {
          const auto pos = static_cast<std::ptrdiff_t>(rng.range(0, static_cast<std::int64_t>(lines.size())));
          lines.insert(lines.begin() + pos, copy);
        }
        for (const std::string& l : lines) out += l;
        batch.clear();
      };

      Ms batch_end = 0;
      for (;; ++frame) {
        const Ms t_true = race.green_ms + phase + frame * kTelemetryFrameMs;
        if (t_true < true_start) continue;
        if (t_true >= true_end) break;
        const Ms ts = t_true + car.ecu_offset_ms + rng.range(0, 2);
        if (ts < first || ts > last) continue;
        // Map time in the lap onto the reference lap sector by sector, so the trace agrees with
        // the official sector times; speeds scale with the ratio of the sector times.
        const Ms tau = t_true - true_start;
        Ms sector_start = 0;
        std::size_t s = 0;
        while (s < 2 && tau >= sector_start + row.sector[s]) sector_start += row.sector[s++];
        const double base_from = s == 0 ? 0.0 : base_end[s - 1];
        const double base_len = base_end[s] - base_from;
        const double actual_len = static_cast<double>(row.sector[s]) / 1000.0;
        const double k = base_len / actual_len;
        const double tb = base_from + static_cast<double>(tau - sector_start) / 1000.0 * k;
        const BaseSample b = ctx.track.at_time(tb);

        const double kmh = std::max(0.0, b.speed * 3.6 * k + (rng.uniform() - 0.5) * 0.6);
        std::size_t gear = 0;
        for (std::size_t g = 0; g < kGearUpKmh.size(); ++g)
          if (kmh >= kGearUpKmh[g]) gear = g;
        const double rpm = std::clamp(kmh * kRpmPerKmh[gear], 2400.0, 7400.0) + (rng.uniform() - 0.5) * 60.0;
        const double ax = b.accx_g * k * k;
        double throttle = 100.0, brake = 0.0;
        if (ax < -0.08) {
          throttle = 0.0;
          brake = std::min(105.0, -ax / 1.12 * 95.0);
        } else if (b.limit < kTopSpeed && b.speed >= b.limit * 0.985 && ax < 0.05) {
          throttle = 35.0 + 40.0 * std::min(1.0, b.speed / kTopSpeed) + (rng.uniform() - 0.5) * 4.0;
        }
        const double ay = b.speed * b.speed * k * k * b.curvature / kG;
        const double steer = small_atan(2.575 * b.curvature) * 180.0 / kPi * 13.5;
        const double lat = kLat0 + b.y / 111'000.0;
        const double lon = kLon0 + b.x / (111'000.0 * coslat);
        // Values as the export writes them: scaled integers (0.34600000000000003), floats
        // from the GPS (38.16123962402344), plain integers (3715).
        auto scaled = [](double v, double step) {
          return shortest(static_cast<double>(std::llround(v / step)) * step);
        };
        const bool slow_frame = frame % 2 == 0;
        batch.push_back({ts, "accx_can", scaled(ax + (rng.uniform() - 0.5) * 0.06, 0.001)});
        batch.push_back({ts, "accy_can", scaled(ay + (rng.uniform() - 0.5) * 0.06, 0.001)});
        batch.push_back({ts, "aps", scaled(throttle, 0.1)});
        batch.push_back({ts, "pbrake_r", scaled(brake > 0 ? brake * 0.58 + rng.uniform() : 0.0, 0.01)});
        batch.push_back({ts, "pbrake_f", scaled(brake > 0 ? brake + 1.5 * rng.uniform() : 0.0, 0.01)});
        batch.push_back({ts, "gear", std::to_string(gear + 1)});
        if (slow_frame) {
          batch.push_back({ts, "VBOX_Long_Minutes", shortest(static_cast<double>(static_cast<float>(lon)))});
          batch.push_back({ts, "VBOX_Lat_Min", shortest(static_cast<double>(static_cast<float>(lat)))});
        }
        batch.push_back({ts, "Steering_Angle", scaled(steer + (rng.uniform() - 0.5) * 3.0, 0.1)});
        if (slow_frame) {
          batch.push_back(
              {ts, "Laptrigger_lapdist_dls", std::to_string(static_cast<std::int64_t>(b.distance))});
          batch.push_back({ts, "nmot", std::to_string(std::llround(rpm))});
        }
        batch.push_back({ts, "speed", scaled(kmh, 0.01)});
        batch.push_back(
            {ts, "ath", scaled(throttle > 0 ? std::min(100.0, throttle * 0.99 + 0.8) : 0.0, 0.01)});
        batch_end = t_true;
        if (frame % 4 == 3) flush(batch_end);
      }
      if (!batch.empty()) flush(batch_end);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------

Status validate(const DemoDataOptions& o) {
  if (o.cars < 8 || o.cars > kRosterSize)
    return make_error(ErrorKind::InvalidInput, "demo-data: cars must be between 8 and " +
                                                   std::to_string(kRosterSize) + ", got " +
                                                   std::to_string(o.cars));
  if (o.laps_per_race < 10 || o.laps_per_race > 40)
    return make_error(ErrorKind::InvalidInput, "demo-data: laps per race must be between 10 and 40, got " +
                                                   std::to_string(o.laps_per_race));
  return {};
}

Status write(ObjectStore& out, const std::string& key, const std::string& bytes) {
  auto status = out.write_all(key, bytes);
  if (!status)
    return make_error(status.error().kind,
                      "demo-data: writing " + key + " failed: " + status.error().message);
  return {};
}

}  // namespace

Status generate_demo_data(ObjectStore& out, const DemoDataOptions& options) {
  if (auto ok = validate(options); !ok) return ok;
  Context ctx{options, TrackModel{}, {}, {}, {}};
  const auto& m = kMarksM;
  const std::array<double, 6> t = {ctx.track.time_at(m[0]), ctx.track.time_at(m[1]), ctx.track.time_at(m[2]),
                                   ctx.track.time_at(m[3]), ctx.track.time_at(m[4]), ctx.track.lap_s()};
  ctx.base_sector_s = {t[1], t[3] - t[1], t[5] - t[3]};
  ctx.split_fraction = {t[0] / t[1], (t[2] - t[1]) / (t[3] - t[1]), (t[4] - t[3]) / (t[5] - t[3])};

  Rng field(stream_seed(options.seed, 1));
  for (int c = 0; c < options.cars; ++c)
    ctx.target_ms.push_back(108'300.0 + 1'000.0 * std::abs(field.normal()));

  for (int number = 1; number <= 2; ++number) {
    const Race race = simulate_race(ctx, number);
    Rng rng(stream_seed(options.seed, 200 + static_cast<std::uint64_t>(number)));
    const std::string n = std::to_string(number);
    const std::string dir = "sonoma-raceway/Sonoma/Race " + n + "/";
    EcuLaps ecu;
    const auto events = ecu_events(race, rng, ecu);
    std::vector<std::pair<std::string, std::string>> files;
    files.emplace_back("sonoma_lap_start_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::Start, rng));
    files.emplace_back("sonoma_lap_end_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::End, rng));
    files.emplace_back("sonoma_lap_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::LapTime, rng));
    if (options.telemetry)
      files.emplace_back("sonoma_telemetry_R" + n + ".csv", telemetry_file(ctx, race, ecu, rng));
    files.emplace_back("23_AnalysisEnduranceWithSections_Race " + n + "_Anonymized.CSV", sections_file(race));
    files.emplace_back("03_Results GR Cup Race " + n + " Official_Anonymized.CSV", results_file(race));
    files.emplace_back("05_Results by Class GR Cup Race " + n + " Official_Anonymized.CSV",
                       results_by_class_file(race));
    files.emplace_back("99_Best 10 Laps By Driver_Race " + n + "_Anonymized.CSV", best_laps_file(race));
    if (number == 1) files.emplace_back("26_Weather_Race " + n + "_Anonymized.CSV", weather_file(race, rng));
    for (const auto& [name, bytes] : files)
      if (auto ok = write(out, dir + name, bytes); !ok) return ok;
  }
  return {};
}

}  // namespace apex
