// Deterministic numerics of the demo data generator: splitmix64, log, sin, cos, small-argument
// atan and per-stream seeds, from IEEE basic operations only (see deterministic_math.h).
#include "cli/demo_data/deterministic_math.h"

#include <cmath>
#include <cstdint>

namespace apex::demo_data {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

double reduce_angle(double x) {
  return x - 2.0 * kPi * std::round(x / (2.0 * kPi));
}

}  // namespace

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

double small_atan(double x) {
  const double x2 = x * x;
  return x * (1.0 - x2 * (1.0 / 3.0 - x2 * (1.0 / 5.0 - x2 * (1.0 / 7.0))));
}

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ULL);
  return splitmix64(state);
}

}  // namespace apex::demo_data
