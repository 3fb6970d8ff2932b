// Deterministic numerics of the demo data generator: the PRNG (xoshiro256** seeded through
// splitmix64, one stream per purpose), its normal transform, and log, sin, cos and atan.
// Only IEEE basic operations (+ - * / sqrt, exact rounding) are used, never libm
// transcendental functions, whose last bit may differ between platforms.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace apex::demo_data {

inline constexpr double kPi = 3.14159265358979323846;

std::uint64_t splitmix64(std::uint64_t& state);
double det_log(double x);
double det_sin(double x);
double det_cos(double x);
// atan for the small arguments of the steering model (|x| < 0.2).
double small_atan(double x);

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

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream);

}  // namespace apex::demo_data
