#include "formats/telemetry_parser.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>

#include "storage/parallel_read.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "formats/csv_reader.h"
#include "formats/time_text.h"

namespace apex {
namespace {

constexpr std::size_t kKeptReasons = 5;
constexpr std::size_t kMaxColumns = 64;
constexpr std::size_t kShownFieldChars = 40;

// One sample while parsing: ECU time (48 bits) and lap code (16 bits) in one key, so a
// plain integer comparison orders by time and, among repeats, prefers a valid lap.
#pragma pack(push, 4)
struct StagedSample {
  std::uint64_t key;
  float value;
};
#pragma pack(pop)
static_assert(sizeof(StagedSample) == 12);

constexpr unsigned kTimeShift = 16;
constexpr std::uint64_t kLapUnknownCode = 0xFFFE;  // absent, unreadable or 0
constexpr std::uint64_t kLapLostCode = 0xFFFF;     // 32768
constexpr std::int64_t kMaxTimeMs = std::int64_t{1} << 47;

int lap_from_code(std::uint64_t code) {
  if (code == kLapLostCode) return kLapCountLost;
  if (code == kLapUnknownCode) return 0;
  return static_cast<int>(code);
}

inline bool is_digit(char c) {
  return static_cast<unsigned char>(c - '0') < 10;
}

__attribute__((always_inline)) inline std::uint64_t lap_code(std::string_view text) {
  if (text.empty() || text.size() > 6) return kLapUnknownCode;
  std::uint32_t lap = 0;
  for (char c : text) {
    if (!is_digit(c)) return kLapUnknownCode;
    lap = lap * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (lap == static_cast<std::uint32_t>(kLapCountLost)) return kLapLostCode;
  if (lap == 0 || lap >= kLapUnknownCode) return kLapUnknownCode;
  return lap;
}

// ---------------------------------------------------------------------------------------
// Numbers and times, parsed in place.

constexpr float kPow10f[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
constexpr double kPow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// d, within a few units in its last place of an exact decimal x, rounds to the float x rounds
// to unless a float midpoint is near d. In the normal float range a float's spacing is 2^29
// of a double's, so the midpoints are where the low 29 bits of d's significand are 2^28.
inline bool rounds_to_float_like_its_exact_value(double d) {
  if (!(d >= 1.2e-38 && d <= 3.4e38)) return false;  // subnormal or overflowing floats
  const std::uint64_t low = std::bit_cast<std::uint64_t>(d) & ((std::uint64_t{1} << 29) - 1);
  const std::uint64_t midpoint = std::uint64_t{1} << 28;
  return (low > midpoint ? low - midpoint : midpoint - low) > 64;
}

// parse_value's last way, out of line so the fast ways stay small: long digit strings
// ("0.34600000000000003"), exponents, padding.
[[gnu::noinline]] bool parse_value_slowly(std::string_view text, float& out) {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  float value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range) return false;
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Three ways, fastest first, all equal to std::from_chars (tests compare bit for bit):
// - up to 24 significant bits and 10 fraction digits: m / 10^k with both exact in float, so
//   one float division is correctly rounded (Clinger's fast path);
// - up to 19 digits and 22 fraction digits: m / 10^k in double is within 2 ulps of the exact
//   value, which settles the float unless a float midpoint is that close (GPS minutes and the
//   17-digit values of real exports take this path);
// - anything else (more digits, exponents, padding): std::from_chars.
__attribute__((always_inline)) inline bool parse_value(std::string_view text, float& out) {
  const char* p = text.data();
  const char* const e = p + text.size();
  bool negative = false;
  if (p < e && (*p == '-' || *p == '+')) negative = *p++ == '-';
  // At most 19 digits (10^19 < 2^64): each loop runs to a precomputed limit, so a digit
  // costs one bounds check instead of a bounds check and a digit count.
  std::uint64_t mantissa = 0;
  const char* const integer_begin = p;
  for (const char* limit = p + std::min<std::ptrdiff_t>(e - p, 19); p < limit && is_digit(*p); ++p)
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
  int digits = static_cast<int>(p - integer_begin);
  int fraction = 0;
  if (p < e && *p == '.') {
    ++p;
    const char* const fraction_begin = p;
    for (const char* limit = p + std::min<std::ptrdiff_t>(e - p, 19 - digits); p < limit && is_digit(*p); ++p)
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
    fraction = static_cast<int>(p - fraction_begin);
    digits += fraction;
  }
  if (p == e && digits > 0 && !(fraction > 0 && text.back() == '.')) {
    if (mantissa <= (1u << 24) && fraction <= 10) {
      const float magnitude = static_cast<float>(mantissa) / kPow10f[fraction];
      out = negative ? -magnitude : magnitude;
      return true;
    }
    if (fraction <= 22) {
      const double magnitude = static_cast<double>(mantissa) / kPow10d[fraction];
      if (rounds_to_float_like_its_exact_value(magnitude)) {
        out = static_cast<float>(negative ? -magnitude : magnitude);
        return true;
      }
    }
  }
  return parse_value_slowly(text, out);
}

// Most timestamps share their minute with the previous one: "2025-09-05T00:28:20.593Z"
// costs a 16-byte compare and five digits once the minute is cached.
struct IsoCache {
  char minute[16] = {};
  std::int64_t minute_ms = 0;
  bool valid = false;
};

inline bool standard_iso_shape(std::string_view s) {
  return s.size() == 24 && s[16] == ':' && s[19] == '.' && s[23] == 'Z';
}

// Two 8-byte compares; GCC calls memcmp for a 16-byte memcmp here, 2% of a load.
inline bool same_minute(const char* a, const char* b) {
  std::uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, a + 8, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, b + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

__attribute__((always_inline)) inline bool parse_time(std::string_view s, IsoCache& cache,
                                                      std::int64_t& out) {
  if (standard_iso_shape(s) && is_digit(s[17]) && is_digit(s[18]) && is_digit(s[20]) && is_digit(s[21]) &&
      is_digit(s[22])) {
    const int seconds = (s[17] - '0') * 10 + (s[18] - '0');
    const int millis = (s[20] - '0') * 100 + (s[21] - '0') * 10 + (s[22] - '0');
    if (cache.valid && seconds <= 59 && same_minute(s.data(), cache.minute)) {
      out = cache.minute_ms + seconds * 1000 + millis;
      return true;
    }
    auto full = parse_iso8601_ms(s);
    if (!full) return false;
    if (seconds <= 59) {
      std::memcpy(cache.minute, s.data(), 16);
      cache.minute_ms = *full - (seconds * 1000 + millis);
      cache.valid = true;
    }
    out = *full;
    return true;
  }
  auto full = parse_iso8601_ms(s);
  if (!full) return false;
  out = *full;
  return true;
}

// About one timestamp in sixteen feeds the clock-offset evidence; chosen by the time itself
// so the choice does not depend on how the file was split.
inline bool lag_sampled(std::int64_t ts) {
  return ((static_cast<std::uint64_t>(ts) * 0x9E3779B97F4A7C15ULL) >> 60) == 0;
}

std::string shown(std::string_view field) {
  if (field.size() <= kShownFieldChars) return std::string(field);
  return std::string(field.substr(0, kShownFieldChars)) + "...";
}

// ---------------------------------------------------------------------------------------
// Header.

struct Layout {
  int vehicle = -1;
  int timestamp = -1;
  int name = -1;
  int value = -1;
  int lap = -1;
  int meta_time = -1;
  std::size_t width = 0;
  bool json = false;
};

bool header_is(std::string_view field, std::string_view name) {
  if (field.size() != name.size()) return false;
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != name[i]) return false;
  }
  return true;
}

Result<Layout> read_header(std::string_view line, std::string_view key) {
  CsvReader reader(line, ',');
  std::vector<std::string_view> fields;
  std::vector<std::string> header;
  if (reader.next(fields))
    for (std::string_view f : fields) {
      while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
      while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.remove_suffix(1);
      header.emplace_back(f);
    }
  Layout layout;
  layout.width = header.size();
  int telemetry_value = -1;
  int plain_value = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string& h = header[i];
    const int index = static_cast<int>(i);
    auto set = [&](int& column) {
      if (column < 0) column = index;
    };
    if (header_is(h, "vehicle_id")) set(layout.vehicle);
    if (header_is(h, "timestamp")) set(layout.timestamp);
    if (header_is(h, "telemetry_name")) set(layout.name);
    if (header_is(h, "telemetry_value")) set(telemetry_value);
    if (header_is(h, "value")) set(plain_value);
    if (header_is(h, "lap")) set(layout.lap);
    if (header_is(h, "meta_time")) set(layout.meta_time);
  }
  if (layout.name >= 0 && telemetry_value >= 0) {
    layout.value = telemetry_value;
  } else if (layout.name < 0 && (plain_value >= 0 || telemetry_value >= 0)) {
    layout.value = plain_value >= 0 ? plain_value : telemetry_value;
    layout.json = true;
  }
  if (layout.vehicle < 0 || layout.timestamp < 0 || layout.value < 0) {
    std::string shown_header;
    for (const auto& h : header) shown_header += (shown_header.empty() ? "" : ",") + h;
    if (shown_header.size() > 200) shown_header = shown_header.substr(0, 200) + "...";
    return make_error(ErrorKind::Corrupt,
                      "'" + std::string(key) +
                          "' is not a telemetry file: its header needs vehicle_id, timestamp and either "
                          "telemetry_name + telemetry_value or a JSON value column; it has: " +
                          (shown_header.empty() ? "nothing" : shown_header));
  }
  for (int column :
       {layout.vehicle, layout.timestamp, layout.name, layout.value, layout.lap, layout.meta_time})
    if (column >= static_cast<int>(kMaxColumns))
      return make_error(ErrorKind::Corrupt, "'" + std::string(key) + "': telemetry columns beyond column " +
                                                std::to_string(kMaxColumns) + " are not supported");
  return layout;
}

// First newline outside quotes: the end of the header row (npos when not there yet).
std::size_t first_row_end(std::string_view bytes) {
  bool in_quotes = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '"') in_quotes = !in_quotes;
    if (bytes[i] == '\n' && !in_quotes) return i;
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------------------------------
// Separator masks for 64 bytes at a time.

struct Masks {
  std::uint64_t commas = 0;
  std::uint64_t newlines = 0;
  std::uint64_t quotes = 0;
};

inline Masks scan64(const char* p) {
  Masks m;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const auto shift = static_cast<unsigned>(16 * k);
    m.commas |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma))))
        << shift;
    m.newlines |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline))))
        << shift;
    m.quotes |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote))))
        << shift;
  }
#else
  for (unsigned i = 0; i < 64; ++i) {
    m.commas |= static_cast<std::uint64_t>(p[i] == ',') << i;
    m.newlines |= static_cast<std::uint64_t>(p[i] == '\n') << i;
    m.quotes |= static_cast<std::uint64_t>(p[i] == '"') << i;
  }
#endif
  return m;
}

// The masks of the 64 bytes of a block at base; a block's last bytes are scanned from a
// zero-padded copy, so the scan never reads past the block. `scan` is scan64, or
// scan_separators_avx2 in the AVX2 loop.
template <Masks (*scan)(const char*) = scan64>
__attribute__((always_inline)) inline Masks scan_block_at(const char* data, std::size_t n, std::size_t base) {
  if (n - base >= 64) return scan(data + base);
  alignas(32) char tail[64] = {};
  std::memcpy(tail, data + base, n - base);
  return scan(tail);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) inline std::uint64_t mask(__m256i bytes_equal) {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(bytes_equal));
}

// The same with AVX2, for the separator loop's AVX2 copy (parse_plain_block_avx2): two
// 32-byte compares per mask instead of four 16-byte ones. Only separators, as that loop
// needs: its blocks hold no quote. Not always_inline: GCC inlines it only into a caller
// compiled for AVX2, which is the one caller.
__attribute__((target("avx2"))) inline Masks scan_separators_avx2(const char* p) {
  const __m256i comma = _mm256_set1_epi8(',');
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  Masks m;
  m.commas = mask(_mm256_cmpeq_epi8(lo, comma)) | mask(_mm256_cmpeq_epi8(hi, comma)) << 32;
  m.newlines = mask(_mm256_cmpeq_epi8(lo, newline)) | mask(_mm256_cmpeq_epi8(hi, newline)) << 32;
  return m;
}
#endif

// Whether this CPU runs the AVX2 + BMI2 copy of the separator loop (x86-64 CPUs since
// 2013-2015). Asked once.
bool cpu_has_avx2_bmi2() {
#if defined(__x86_64__)
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  return has;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------
// Per-thread stage: what a worker has parsed, in pages that never move.

// Samples in one allocation. Large ones are mapped directly, so that freeing a stage once
// its series is finished gives the memory back to the system at once (glibc would keep
// freed heap blocks of this size), which keeps the peak near one copy of the data.
template <typename T>
class MappedArray {
 public:
  MappedArray() = default;
  explicit MappedArray(std::size_t capacity) : capacity_(capacity) {
    const std::size_t bytes = capacity * sizeof(T);
    if (bytes >= kMapBytes) {
      void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      data_ = static_cast<T*>(p);
      mapped_ = true;
    } else if (bytes > 0) {
      data_ = static_cast<T*>(::operator new(bytes));
    }
  }
  MappedArray(MappedArray&& other) noexcept { swap(other); }
  MappedArray& operator=(MappedArray&& other) noexcept {
    MappedArray(std::move(other)).swap(*this);
    return *this;
  }
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  ~MappedArray() {
    if (mapped_)
      ::munmap(data_, capacity_ * sizeof(T));
    else
      ::operator delete(data_);
  }

  T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr std::size_t kMapBytes = 64u << 10;
  void swap(MappedArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
    std::swap(mapped_, other.mapped_);
  }
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
  bool mapped_ = false;
};
using SampleArray = MappedArray<StagedSample>;

// A sample as a worker keeps it until the merge: 8 bytes instead of StagedSample's 12, since
// the staged samples of a whole file are the peak of a load. The time is an offset from
// the stage's first time, and the lap code, which changes once a lap, is run-length encoded
// beside the samples.
struct CompactSample {
  std::int32_t time_offset;
  float value;
};
static_assert(sizeof(CompactSample) == 8);

constexpr std::size_t kFirstPageSamples = 256;
constexpr std::size_t kMaxPageSamples = 1u << 16;

// What one worker parsed of one (vehicle, channel), in pages that never move.
struct Stage {
  std::uint32_t vehicle = 0;
  std::uint32_t channel = 0;
  std::vector<MappedArray<CompactSample>> pages;
  std::size_t in_full_pages = 0;
  CompactSample* cur = nullptr;
  CompactSample* end = nullptr;
  std::int64_t base_ms = 0;  // time of the first sample; offsets are from it
  // (index of the first compact sample with this lap code, code), in append order.
  std::vector<std::pair<std::uint32_t, std::uint16_t>> lap_codes;
  // Samples more than 2^31 ms (24.8 days) from base_ms: an ECU clock that jumped. Rare, so
  // kept at full width rather than making every sample wider.
  std::vector<StagedSample> far_samples;

  std::size_t compact_count() const {
    return pages.empty() ? 0 : in_full_pages + static_cast<std::size_t>(cur - pages.back().data());
  }
  std::size_t count() const { return compact_count() + far_samples.size(); }
  std::size_t page_size(std::size_t i) const {
    return i + 1 == pages.size() ? static_cast<std::size_t>(cur - pages.back().data()) : pages[i].capacity();
  }

  void grow() {
    if (!pages.empty()) in_full_pages += pages.back().capacity();
    pages.emplace_back(std::clamp(in_full_pages, kFirstPageSamples, kMaxPageSamples));
    cur = pages.back().data();
    end = cur + pages.back().capacity();
  }
  __attribute__((always_inline)) void append(std::int64_t time_ms, std::uint16_t lap_code, float value) {
    if (pages.empty()) base_ms = time_ms;
    const std::int64_t offset = time_ms - base_ms;
    if (offset < INT32_MIN || offset > INT32_MAX) {
      far_samples.push_back(
          StagedSample{(static_cast<std::uint64_t>(time_ms) << kTimeShift) | lap_code, value});
      return;
    }
    if (cur == end) grow();
    if (lap_codes.empty() || lap_codes.back().second != lap_code)
      lap_codes.emplace_back(static_cast<std::uint32_t>(compact_count()), lap_code);
    cur->time_offset = static_cast<std::int32_t>(offset);
    cur->value = value;
    ++cur;
  }
  // Writes every sample as a StagedSample from out on and frees the pages.
  StagedSample* expand_into(StagedSample* out) {
    std::size_t index = 0;
    std::size_t run = 0;
    for (std::size_t p = 0; p < pages.size(); ++p) {
      const CompactSample* data = pages[p].data();
      const std::size_t n = page_size(p);
      for (std::size_t i = 0; i < n; ++i, ++index) {
        while (run + 1 < lap_codes.size() && lap_codes[run + 1].first <= index) ++run;
        const auto time = static_cast<std::uint64_t>(base_ms + data[i].time_offset);
        *out++ = StagedSample{(time << kTimeShift) | lap_codes[run].second, data[i].value};
      }
    }
    out = std::copy(far_samples.begin(), far_samples.end(), out);
    release();
    return out;
  }
  // Frees the samples (at once: the pages are mapped), once the series is built.
  void release() {
    pages.clear();
    pages.shrink_to_fit();
    std::vector<std::pair<std::uint32_t, std::uint16_t>>().swap(lap_codes);
    std::vector<StagedSample>().swap(far_samples);
    cur = end = nullptr;
  }
};

// Equality of short names without a call to memcmp (names are 3-30 bytes).
__attribute__((always_inline)) inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

__attribute__((always_inline)) inline bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct BlockSummary {
  std::uint64_t newlines = 0;
  std::uint64_t rows = 0;
  std::uint64_t bad_rows = 0;
  std::uint64_t other_vehicle_rows = 0;  // read past: not TelemetryParseOptions::only_vehicle
  std::vector<std::pair<std::uint64_t, std::string>> reasons;  // (line within the block, why)
};

struct FieldRef {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint32_t quotes = 0;
};

// One JSON name/value pair of the JSON-in-CSV layout.
struct JsonPair {
  std::string_view name;
  std::string_view text;        // number text, or the string's contents
  std::optional<float> number;  // set by the nlohmann fallback
  bool null = false;
};

class Worker {
 public:
  Worker(const Layout& layout, std::string only_vehicle, bool simd)
      : layout_(layout), only_vehicle_(std::move(only_vehicle)) {
    use_avx2_ = simd && cpu_has_avx2_bmi2();
    slots_.assign(kInitialSlots, Slot{});
    middle_columns_only_ = true;
    for (int column :
         {layout.vehicle, layout.timestamp, layout.name, layout.value, layout.lap, layout.meta_time})
      if (column == 0 || (column > 0 && static_cast<std::size_t>(column) + 1 >= layout.width))
        middle_columns_only_ = false;
  }

  // Parses the rows of bytes; may_have_quotes false promises there is no '"' in them.
  void parse(std::string_view bytes, bool may_have_quotes, BlockSummary& out);

  // Stage access for the merge.
  std::vector<Stage>& stages() { return stages_; }
  const std::deque<std::string>& vehicle_names() const { return vehicle_names_; }
  const std::deque<std::string>& channel_names() const { return channel_names_; }
  std::vector<std::vector<std::int64_t>>& lags() { return lags_; }

 private:
  static constexpr std::size_t kInitialSlots = 256;
  struct Slot {
    const std::string* name = nullptr;
    std::uint32_t id = 0;
  };

  void parse_quoted_block(std::string_view bytes, BlockSummary& out);
  __attribute__((noinline)) void parse_plain_block(std::string_view bytes, BlockSummary& out);
  template <bool kAvx2>
  __attribute__((always_inline)) void plain_block_loop(std::string_view bytes, BlockSummary& out);
#if defined(__x86_64__)
  void parse_plain_block_avx2(std::string_view bytes, BlockSummary& out);
#endif
  void end_quoted_row(const char* data, const FieldRef* fields, std::size_t count, std::uint64_t line,
                      BlockSummary& out);
  __attribute__((noinline)) void end_plain_row(const char* data, std::size_t row_begin,
                                               const std::size_t* ends, std::size_t count, std::uint64_t line,
                                               BlockSummary& out);
  bool row_has_width(std::size_t count, bool last_field_empty, std::uint64_t line, BlockSummary& out);
  template <typename Get>
  void take_row(const Get& get, std::uint64_t line, BlockSummary& out);
  std::string_view field(const char* data, const FieldRef& f) {
    return f.quotes == 0 ? std::string_view(data + f.begin, f.end - f.begin) : unquote(data, f);
  }
  std::string_view unquote(const char* data, const FieldRef& f);
  void take_long(std::string_view vehicle, std::string_view timestamp, std::string_view name,
                 std::string_view value, std::string_view lap, std::string_view meta, std::uint64_t line,
                 BlockSummary& out);
  void take_json(std::string_view vehicle, std::string_view timestamp, std::string_view value,
                 std::string_view lap, std::string_view meta, std::uint64_t line, BlockSummary& out);
  bool scan_json_pairs(std::string_view text);
  bool json_pairs_fallback(std::string_view text);

  std::uint32_t vehicle_index(std::string_view name);
  std::uint32_t looked_up_vehicle_index(std::string_view name);
  std::uint32_t channel_index(std::string_view name);
  std::uint32_t looked_up_channel_index(std::string_view name);
  std::uint32_t hashed_channel_index(std::string_view name);
  Stage& stage(std::uint32_t vehicle, std::uint32_t channel);
  Stage& new_stage(std::uint32_t vehicle, std::uint32_t channel);
  void reject(BlockSummary& out, std::uint64_t line, std::string why);
  static bool wants_reason(const BlockSummary& out) {
    return out.reasons.size() < kKeptReasons;
  }
  static std::uint64_t channel_hash(std::string_view s);
  void rehash();

  Layout layout_;
  bool middle_columns_only_ = false;  // no column read is the first or the last (see end_plain_row)
  bool use_avx2_ = false;             // parse_plain_block runs its AVX2 + BMI2 copy
  std::string only_vehicle_;          // empty: every vehicle
  std::string scratch_;               // unquoted fields of the current row; reserved so views stay valid
  IsoCache time_cache_;
  IsoCache meta_cache_;

  std::deque<std::string> vehicle_names_;
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> vehicle_ids_;
  std::uint32_t last_vehicle_ = UINT32_MAX;
  std::string_view last_vehicle_name_;
  std::deque<std::string> channel_names_;
  std::vector<std::string_view> channel_views_;  // into channel_names_, which never moves them
  // Per channel: the two that followed it most recently, latest first.
  std::vector<std::array<std::uint32_t, 2>> next_channel_;
  std::uint32_t last_channel_ = UINT32_MAX;
  std::vector<Slot> slots_;
  std::vector<std::vector<std::int32_t>> series_of_;  // [vehicle][channel] -> stage index, -1 none
  std::vector<Stage> stages_;
  std::vector<std::vector<std::int64_t>> lags_;  // per vehicle: meta_time - timestamp

  std::vector<JsonPair> pairs_;
  std::deque<std::string> json_strings_;  // owned names and texts of the nlohmann fallback
};

void Worker::reject(BlockSummary& out, std::uint64_t line, std::string why) {
  ++out.bad_rows;
  if (out.reasons.size() < kKeptReasons) out.reasons.emplace_back(line, std::move(why));
}

std::uint64_t Worker::channel_hash(std::string_view s) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (s.size() >= 8) {
    std::memcpy(&a, s.data(), 8);
    std::memcpy(&b, s.data() + s.size() - 8, 8);
  } else if (s.size() >= 4) {
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    std::memcpy(&x, s.data(), 4);
    std::memcpy(&y, s.data() + s.size() - 4, 4);
    a = x;
    b = y;
  } else {
    for (char c : s) a = (a << 8) | static_cast<unsigned char>(c);
  }
  std::uint64_t h = (s.size() + 1) * 0x9E3779B97F4A7C15ULL;
  h ^= a * 0xC2B2AE3D27D4EB4FULL;
  h ^= (b + 0x165667B19E3779F9ULL) * 0x85EBCA77C2B2AE63ULL;
  return h ^ (h >> 29);
}

void Worker::rehash() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.name) continue;
    std::size_t i = channel_hash(*s.name) & mask;
    while (slots_[i].name) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

__attribute__((always_inline)) inline std::uint32_t Worker::channel_index(std::string_view name) {
  // Exports write a timestamp's channels in a fixed order, some of them only every other
  // timestamp (gear, GPS): try the two channels that followed this one most recently.
  if (last_channel_ != UINT32_MAX) [[likely]] {
    auto& next = next_channel_[last_channel_];
    if (next[0] != UINT32_MAX && same_text(channel_views_[next[0]], name)) [[likely]]
      return last_channel_ = next[0];
    if (next[1] != UINT32_MAX && same_text(channel_views_[next[1]], name)) {
      std::swap(next[0], next[1]);
      return last_channel_ = next[0];
    }
  }
  return looked_up_channel_index(name);
}

std::uint32_t Worker::looked_up_channel_index(std::string_view name) {
  const std::uint32_t id = hashed_channel_index(name);
  if (last_channel_ != UINT32_MAX) {
    auto& next = next_channel_[last_channel_];
    next[1] = next[0];
    next[0] = id;
  }
  return last_channel_ = id;
}

std::uint32_t Worker::hashed_channel_index(std::string_view name) {
  std::size_t mask = slots_.size() - 1;
  std::size_t i = channel_hash(name) & mask;
  for (;;) {
    const Slot& s = slots_[i];
    if (!s.name) break;
    if (same_text(*s.name, name)) return s.id;
    i = (i + 1) & mask;
  }
  const auto id = static_cast<std::uint32_t>(channel_names_.size());
  channel_names_.emplace_back(name);
  channel_views_.emplace_back(channel_names_.back());
  next_channel_.push_back({UINT32_MAX, UINT32_MAX});
  slots_[i] = Slot{&channel_names_.back(), id};
  if (channel_names_.size() * 2 > slots_.size()) rehash();
  return id;
}

// The fast paths of the per-row lookups are inlined into the row loop; a call each was a
// tenth of a row's instructions (cachegrind).
__attribute__((always_inline)) inline std::uint32_t Worker::vehicle_index(std::string_view name) {
  // Rows of one car come in runs: compare with the last one's name first.
  if (last_vehicle_ != UINT32_MAX && same_text(last_vehicle_name_, name)) [[likely]]
    return last_vehicle_;
  return looked_up_vehicle_index(name);
}

std::uint32_t Worker::looked_up_vehicle_index(std::string_view name) {
  auto it = vehicle_ids_.find(name);
  if (it != vehicle_ids_.end()) {
    last_vehicle_ = it->second;
  } else {
    last_vehicle_ = static_cast<std::uint32_t>(vehicle_names_.size());
    vehicle_names_.emplace_back(name);
    vehicle_ids_.emplace(std::string(name), last_vehicle_);
    series_of_.emplace_back();
    lags_.emplace_back();
  }
  last_vehicle_name_ = vehicle_names_[last_vehicle_];  // a deque's elements never move
  return last_vehicle_;
}

__attribute__((always_inline)) inline Stage& Worker::stage(std::uint32_t vehicle, std::uint32_t channel) {
  const auto& row = series_of_[vehicle];
  if (channel < row.size() && row[channel] >= 0) [[likely]]
    return stages_[static_cast<std::size_t>(row[channel])];
  return new_stage(vehicle, channel);
}

Stage& Worker::new_stage(std::uint32_t vehicle, std::uint32_t channel) {
  auto& row = series_of_[vehicle];
  if (channel >= row.size()) row.resize(channel + 1, -1);
  if (row[channel] < 0) {
    row[channel] = static_cast<std::int32_t>(stages_.size());
    stages_.push_back(Stage{});
    stages_.back().vehicle = vehicle;
    stages_.back().channel = channel;
  }
  return stages_[static_cast<std::size_t>(row[channel])];
}

std::string_view Worker::unquote(const char* data, const FieldRef& f) {
  if (data[f.begin] != '"')
    return std::string_view(data + f.begin, f.end - f.begin);  // stray quote: as written
  // Quoted: drop the quotes, "" is one quote, text after the closing quote is kept.
  const std::size_t start = scratch_.size();
  std::size_t i = f.begin + 1;
  bool open = true;
  while (i < f.end) {
    const char c = data[i];
    if (c == '"' && open) {
      if (i + 1 < f.end && data[i + 1] == '"') {
        scratch_.push_back('"');
        i += 2;
        continue;
      }
      open = false;
      ++i;
      continue;
    }
    scratch_.push_back(c);
    ++i;
  }
  return std::string_view(scratch_.data() + start, scratch_.size() - start);
}

void Worker::parse(std::string_view bytes, bool may_have_quotes, BlockSummary& out) {
  // Most files hold no quote at all: they get a loop without quote handling.
  if (may_have_quotes) parse_quoted_block(bytes, out);
#if defined(__x86_64__)
  else if (use_avx2_)
    parse_plain_block_avx2(bytes, out);
#endif
  else
    parse_plain_block(bytes, out);
}

void Worker::parse_quoted_block(std::string_view bytes, BlockSummary& out) {
  const char* const data = bytes.data();
  const std::size_t n = bytes.size();
  FieldRef fields[kMaxColumns];
  std::size_t col = 0;
  std::size_t field_begin = 0;
  std::uint32_t field_quotes = 0;
  bool in_quotes = false;
  std::uint64_t line = 0;
  std::uint64_t row_line = 0;

  for (std::size_t base = 0; base < n; base += 64) {
    const Masks m = scan_block_at(data, n, base);
    std::uint64_t bits = m.commas | m.newlines | m.quotes;
    while (bits != 0) {
      const std::uint64_t bit = bits & (~bits + 1);
      bits ^= bit;
      const std::size_t pos = base + static_cast<std::size_t>(std::countr_zero(bit));
      const bool newline = (m.newlines & bit) != 0;
      if (m.quotes & bit) {
        in_quotes = !in_quotes;
        ++field_quotes;
        continue;
      }
      if (in_quotes) {
        line += newline;
        continue;
      }
      if (col < kMaxColumns) fields[col] = FieldRef{field_begin, pos, field_quotes};
      ++col;
      field_begin = pos + 1;
      field_quotes = 0;
      if (newline) {
        end_quoted_row(data, fields, col, row_line, out);
        col = 0;
        row_line = ++line;
      }
    }
  }
  if (field_begin < n || col > 0) {  // the last row of the file, without a newline
    if (col < kMaxColumns) fields[col] = FieldRef{field_begin, n, field_quotes};
    ++col;
    end_quoted_row(data, fields, col, row_line, out);
  }
  out.newlines = line;
}

// Without quotes a field is the bytes between two separators, so one position per
// separator is all a row needs: one store where a FieldRef took three, which was the
// largest cost of this loop.
void Worker::parse_plain_block(std::string_view bytes, BlockSummary& out) {
  plain_block_loop<false>(bytes, out);
}

#if defined(__x86_64__)
// The loop compiled a second time for AVX2 and BMI (tzcnt, blsr): 796 -> 716 instructions a
// row on the generated file. The rest of the parser stays baseline x86-64.
__attribute__((target("avx2,bmi,bmi2"))) void Worker::parse_plain_block_avx2(std::string_view bytes,
                                                                             BlockSummary& out) {
  plain_block_loop<true>(bytes, out);
}
#endif

template <bool kAvx2>
__attribute__((always_inline)) inline void Worker::plain_block_loop(std::string_view bytes,
                                                                    BlockSummary& out) {
  const char* const data = bytes.data();
  const std::size_t n = bytes.size();
  // The current row's separator positions. One 64-byte step adds at most 64, so with this
  // much room the loop stores without a bounds check per separator; positions past
  // kMaxColumns are only counted (end_plain_row reads the first kMaxColumns).
  std::size_t ends[kMaxColumns + 64 + 1];
  std::size_t col = 0;    // positions stored for the current row
  std::size_t extra = 0;  // the current row's separators past the stored ones
  std::size_t row_begin = 0;
  std::uint64_t line = 0;

  for (std::size_t base = 0; base < n; base += 64) {
    if (col > kMaxColumns) [[unlikely]] {
      extra += col - kMaxColumns;
      col = kMaxColumns;
    }
    Masks m;
#if defined(__x86_64__)
    if constexpr (kAvx2)
      m = scan_block_at<scan_separators_avx2>(data, n, base);
    else
#endif
      m = scan_block_at(data, n, base);
    std::uint64_t bits = m.commas | m.newlines;
    while (bits != 0) {
      const auto offset = static_cast<std::size_t>(std::countr_zero(bits));
      bits &= bits - 1;
      ends[col++] = base + offset;
      if ((m.newlines >> offset) & 1) {
        end_plain_row(data, row_begin, ends, col + extra, line, out);
        // Read back rather than kept in a register across the call (which spilled it
        // on every separator).
        row_begin = ends[col - 1] + 1;
        col = 0;
        extra = 0;
        ++line;
      }
    }
  }
  if (row_begin < n || col + extra > 0) {  // the last row of the file, without a newline
    if (col > kMaxColumns) {
      extra += col - kMaxColumns;
      col = kMaxColumns;
    }
    ends[col++] = n;
    end_plain_row(data, row_begin, ends, col + extra, line, out);
  }
  out.newlines = line;
}

// Counts the row and checks its field count (a trailing delimiter is allowed); false when
// the row is rejected.
bool Worker::row_has_width(std::size_t count, bool last_field_empty, std::uint64_t line, BlockSummary& out) {
  ++out.rows;
  const bool trailing_delimiter = count == layout_.width + 1 && last_field_empty;
  if (count == layout_.width || trailing_delimiter) return true;
  if (wants_reason(out))
    reject(out, line, std::to_string(count) + " fields, the header has " + std::to_string(layout_.width));
  else
    ++out.bad_rows;
  return false;
}

// get(column) is called once per column: a quoted field is unquoted into scratch_, which
// end_quoted_row sizes for each field once (a second call could reallocate it under the
// views already taken).
template <typename Get>
void Worker::take_row(const Get& get, std::uint64_t line, BlockSummary& out) {
  const std::string_view vehicle = get(layout_.vehicle);
  // One car's load reads past the other cars' rows before any number is parsed.
  if (!only_vehicle_.empty() && vehicle != only_vehicle_) {
    ++out.other_vehicle_rows;
    return;
  }
  if (layout_.json)
    take_json(vehicle, get(layout_.timestamp), get(layout_.value), get(layout_.lap), get(layout_.meta_time),
              line, out);
  else
    take_long(vehicle, get(layout_.timestamp), get(layout_.name), get(layout_.value), get(layout_.lap),
              get(layout_.meta_time), line, out);
}

void Worker::end_quoted_row(const char* data, const FieldRef* fields, std::size_t count, std::uint64_t line,
                            BlockSummary& out) {
  if (count == 1) {
    const FieldRef& f = fields[0];
    if (f.end == f.begin || (f.end == f.begin + 1 && data[f.begin] == '\r')) return;  // blank line
  }
  const std::size_t stored = std::min(count, kMaxColumns);
  FieldRef last = fields[stored - 1];
  if (last.end > last.begin && data[last.end - 1] == '\r') --last.end;
  if (!row_has_width(count, last.end == last.begin, line, out)) return;
  scratch_.clear();
  scratch_.reserve(fields[stored - 1].end - fields[0].begin + 1);
  take_row(
      [&](int column) -> std::string_view {
        if (column < 0) return {};
        const auto c = static_cast<std::size_t>(column);
        return field(data, c == stored - 1 ? last : fields[c]);
      },
      line, out);
}

void Worker::end_plain_row(const char* data, std::size_t row_begin, const std::size_t* ends,
                           std::size_t count, std::uint64_t line, BlockSummary& out) {
  // The usual row: as wide as the header, with the columns read neither first nor last, so
  // each is the bytes between two separators, and the checks below cannot apply (a blank
  // line has one field; a CR or a trailing delimiter only touch the last column).
  if (count == layout_.width && middle_columns_only_) [[likely]] {
    ++out.rows;
    take_row(
        [&](int column) __attribute__((always_inline))->std::string_view {
          if (column < 0) return {};
          const std::size_t begin = ends[column - 1] + 1;
          return std::string_view(data + begin, ends[column] - begin);
        },
        line, out);
    return;
  }
  if (count == 1 && (ends[0] == row_begin || (ends[0] == row_begin + 1 && data[row_begin] == '\r')))
    return;  // blank line
  const std::size_t stored = std::min(count, kMaxColumns);
  const std::size_t last_begin = stored == 1 ? row_begin : ends[stored - 2] + 1;
  std::size_t last_end = ends[stored - 1];
  if (last_end > last_begin && data[last_end - 1] == '\r') --last_end;
  if (!row_has_width(count, last_end == last_begin, line, out)) return;
  take_row(
      [&](int column) __attribute__((always_inline))->std::string_view {
        if (column < 0) return {};
        const auto c = static_cast<std::size_t>(column);
        const std::size_t begin = c == 0 ? row_begin : ends[c - 1] + 1;
        const std::size_t end = c == stored - 1 ? last_end : ends[c];
        return std::string_view(data + begin, end - begin);
      },
      line, out);
}

__attribute__((always_inline)) inline void Worker::take_long(std::string_view vehicle,
                                                             std::string_view timestamp,
                                                             std::string_view name, std::string_view value,
                                                             std::string_view lap, std::string_view meta,
                                                             std::uint64_t line, BlockSummary& out) {
  std::int64_t ts = 0;
  float v = 0;
  if (!parse_time(timestamp, time_cache_, ts) || ts < 0 || ts >= kMaxTimeMs) {
    if (wants_reason(out))
      return reject(out, line, "timestamp is not an ISO-8601 time: '" + shown(timestamp) + "'");
    ++out.bad_rows;
    return;
  }
  if (vehicle.empty() || name.empty()) {
    if (wants_reason(out))
      return reject(out, line, vehicle.empty() ? "empty vehicle_id" : "empty telemetry_name");
    ++out.bad_rows;
    return;
  }
  if (!parse_value(value, v)) {
    if (wants_reason(out))
      return reject(out, line,
                    "telemetry_value of '" + shown(name) + "' is not a number: '" + shown(value) + "'");
    ++out.bad_rows;
    return;
  }
  const std::uint32_t vi = vehicle_index(vehicle);
  const std::uint64_t code = layout_.lap >= 0 ? lap_code(lap) : kLapUnknownCode;
  stage(vi, channel_index(name)).append(ts, static_cast<std::uint16_t>(code), v);
  if (layout_.meta_time >= 0 && lag_sampled(ts)) {
    std::int64_t meta_ms = 0;
    if (parse_time(meta, meta_cache_, meta_ms)) lags_[vi].push_back(meta_ms - ts);
  }
}

// ---------------------------------------------------------------------------------------
// JSON-in-CSV.

namespace json_scan {

inline void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

// A string without escapes; false (fallback) on a backslash or an unterminated string.
inline bool read_string(std::string_view s, std::size_t& i, std::string_view& out) {
  if (i >= s.size() || s[i] != '"') return false;
  const std::size_t start = ++i;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') return false;
    ++i;
  }
  if (i >= s.size()) return false;
  out = s.substr(start, i - start);
  ++i;
  return true;
}

// A scalar: string, number, true, false or null. False on nesting (fallback).
inline bool read_scalar(std::string_view s, std::size_t& i, JsonPair& pair, bool as_name) {
  if (i >= s.size()) return false;
  if (s[i] == '"') {
    std::string_view text;
    if (!read_string(s, i, text)) return false;
    (as_name ? pair.name : pair.text) = text;
    return true;
  }
  if (as_name) return false;
  const std::size_t start = i;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' ||
                          s[i] == 'E' || (s[i] >= 'a' && s[i] <= 'z')))
    ++i;
  std::string_view token = s.substr(start, i - start);
  if (token.empty()) return false;
  if (token == "null") {
    pair.null = true;
  } else if (token == "true" || token == "false") {
    pair.number = token == "true" ? 1.0f : 0.0f;
  } else {
    pair.text = token;
  }
  return true;
}

bool is_name_key(std::string_view k) {
  return k == "name" || k == "telemetry_name" || k == "channel";
}
bool is_value_key(std::string_view k) {
  return k == "value" || k == "telemetry_value";
}

}  // namespace json_scan

bool Worker::scan_json_pairs(std::string_view s) {
  using namespace json_scan;
  pairs_.clear();
  std::size_t i = 0;
  skip_ws(s, i);
  if (i >= s.size() || s[i] != '[') return false;
  ++i;
  skip_ws(s, i);
  if (i < s.size() && s[i] == ']') {
    ++i;
    skip_ws(s, i);
    return i == s.size();
  }
  for (;;) {
    skip_ws(s, i);
    if (i >= s.size()) return false;
    JsonPair pair;
    bool has_name = false;
    bool has_value = false;
    if (s[i] == '{') {
      ++i;
      skip_ws(s, i);
      if (i < s.size() && s[i] == '}') return false;
      for (;;) {
        skip_ws(s, i);
        std::string_view key;
        if (!read_string(s, i, key)) return false;
        skip_ws(s, i);
        if (i >= s.size() || s[i] != ':') return false;
        ++i;
        skip_ws(s, i);
        JsonPair scalar;
        if (!read_scalar(s, i, scalar, false)) return false;
        if (is_name_key(key)) {
          if (scalar.null || scalar.number) return false;
          pair.name = scalar.text;
          has_name = true;
        } else if (is_value_key(key)) {
          pair.text = scalar.text;
          pair.number = scalar.number;
          pair.null = scalar.null;
          has_value = true;
        }
        skip_ws(s, i);
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') {
          ++i;
          break;
        }
        return false;
      }
    } else if (s[i] == '[') {
      ++i;
      skip_ws(s, i);
      if (!read_scalar(s, i, pair, true)) return false;
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ',') return false;
      ++i;
      skip_ws(s, i);
      if (!read_scalar(s, i, pair, false)) return false;
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ']') return false;
      ++i;
      has_name = has_value = true;
    } else {
      return false;
    }
    if (!has_name || !has_value) return false;
    pairs_.push_back(pair);
    skip_ws(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == ']') {
      ++i;
      skip_ws(s, i);
      return i == s.size();
    }
    return false;
  }
}

bool Worker::json_pairs_fallback(std::string_view text) {
  using nlohmann::json;
  pairs_.clear();
  json_strings_.clear();
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return false;
  auto add = [&](const std::string& name, const json& value) -> bool {
    JsonPair pair;
    pair.name = json_strings_.emplace_back(name);
    if (value.is_null()) {
      pair.null = true;
    } else if (value.is_number()) {
      pair.number = static_cast<float>(value.get<double>());
    } else if (value.is_boolean()) {
      pair.number = value.get<bool>() ? 1.0f : 0.0f;
    } else if (value.is_string()) {
      pair.text = json_strings_.emplace_back(value.get<std::string>());
    } else {
      return false;
    }
    pairs_.push_back(pair);
    return true;
  };
  if (doc.is_object()) {  // {"speed": 123.4, ...}
    for (const auto& [name, value] : doc.items())
      if (!add(name, value)) return false;
    return true;
  }
  if (!doc.is_array()) return false;
  for (const json& element : doc) {
    if (element.is_array() && element.size() == 2 && element[0].is_string()) {
      if (!add(element[0].get<std::string>(), element[1])) return false;
      continue;
    }
    if (!element.is_object()) return false;
    const json* name = nullptr;
    const json* value = nullptr;
    for (const char* k : {"name", "telemetry_name", "channel"})
      if (!name && element.contains(k)) name = &element[k];
    for (const char* k : {"value", "telemetry_value"})
      if (!value && element.contains(k)) value = &element[k];
    if (!name || !value || !name->is_string()) return false;
    if (!add(name->get<std::string>(), *value)) return false;
  }
  return true;
}

void Worker::take_json(std::string_view vehicle, std::string_view timestamp, std::string_view value,
                       std::string_view lap, std::string_view meta, std::uint64_t line, BlockSummary& out) {
  std::int64_t ts = 0;
  if (!parse_time(timestamp, time_cache_, ts) || ts < 0 || ts >= kMaxTimeMs)
    return reject(out, line, "timestamp is not an ISO-8601 time: '" + shown(timestamp) + "'");
  if (vehicle.empty()) return reject(out, line, "empty vehicle_id");
  if (!scan_json_pairs(value) && !json_pairs_fallback(value))
    return reject(out, line, "value is not a JSON array of name/value pairs: '" + shown(value) + "'");
  const std::uint32_t vi = vehicle_index(vehicle);
  const auto code = static_cast<std::uint16_t>(layout_.lap >= 0 ? lap_code(lap) : kLapUnknownCode);
  std::string problem;
  for (const JsonPair& pair : pairs_) {
    if (pair.null) continue;  // a channel without a reading at this time
    float v = 0;
    const bool ok = pair.number ? std::isfinite(*pair.number) : parse_value(pair.text, v);
    if (pair.number) v = *pair.number;
    if (pair.name.empty() || !ok) {
      if (problem.empty())
        problem = pair.name.empty()
                      ? std::string("a pair without a name")
                      : "value of '" + shown(pair.name) + "' is not a number: '" + shown(pair.text) + "'";
      continue;
    }
    stage(vi, channel_index(pair.name)).append(ts, code, v);
  }
  if (!problem.empty()) reject(out, line, problem);
  if (layout_.meta_time >= 0 && lag_sampled(ts)) {
    std::int64_t meta_ms = 0;
    if (parse_time(meta, meta_cache_, meta_ms)) lags_[vi].push_back(meta_ms - ts);
  }
}

// ---------------------------------------------------------------------------------------
// Finishing a series: sort, remove repeats, encode the lap column.

inline bool sample_less(const StagedSample& a, const StagedSample& b) {
  if (a.key != b.key) return a.key < b.key;
  return std::bit_cast<std::uint32_t>(a.value) < std::bit_cast<std::uint32_t>(b.value);
}

// Telemetry arrives in sorted or reverse-sorted stretches (the export writes batches newest
// first), so runs are found and merged; with too many runs a plain sort is cheaper.
void sort_samples(std::span<StagedSample> v) {
  const std::size_t n = v.size();
  if (n < 2) return;
  std::vector<std::size_t> bounds{0};
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    if (j < n && sample_less(v[j], v[j - 1])) {
      // Equal records are identical, so a non-increasing run may be reversed too.
      while (j < n && !sample_less(v[j - 1], v[j])) ++j;
      std::reverse(v.begin() + static_cast<std::ptrdiff_t>(i), v.begin() + static_cast<std::ptrdiff_t>(j));
    } else {
      while (j < n && !sample_less(v[j], v[j - 1])) ++j;
    }
    bounds.push_back(j);
    i = j;
    if (bounds.size() > n / 32 + 8) {
      std::sort(v.begin(), v.end(), sample_less);
      return;
    }
  }
  if (bounds.size() <= 2) return;
  SampleArray buffer(n);
  StagedSample* src = v.data();
  StagedSample* dst = buffer.data();
  while (bounds.size() > 2) {
    std::vector<std::size_t> merged{0};
    std::size_t k = 0;
    for (; k + 2 < bounds.size(); k += 2) {
      std::merge(src + bounds[k], src + bounds[k + 1], src + bounds[k + 1], src + bounds[k + 2],
                 dst + bounds[k], sample_less);
      merged.push_back(bounds[k + 2]);
    }
    if (k + 1 < bounds.size()) {
      std::copy(src + bounds[k], src + bounds[k + 1], dst + bounds[k]);
      merged.push_back(bounds[k + 1]);
    }
    std::swap(src, dst);
    bounds = std::move(merged);
  }
  if (src != v.data()) std::copy(src, src + n, v.data());
}

struct SeriesTask {
  std::size_t vehicle = 0;
  ChannelId channel = 0;
  std::vector<Stage*> parts;
  std::size_t count = 0;
  ChannelSeries series;
  std::size_t duplicates = 0;
  std::size_t conflicts = 0;
};

// Where a merge of ascending stages stands in one of them.
struct AscendingCursor {
  const Stage* stage = nullptr;
  std::size_t page = 0;
  std::size_t in_page = 0;
  std::size_t index = 0;        // samples of the stage taken so far
  std::size_t run = 0;          // current entry of stage->lap_codes
  std::size_t next_run_at = 0;  // index where the next lap code starts
  std::int64_t last = 0;        // time of the last sample taken (or below the first)

  bool done() const { return page == stage->pages.size(); }
  std::int64_t time() const { return stage->base_ms + stage->pages[page].data()[in_page].time_offset; }
  void advance_run() {
    ++run;
    next_run_at = run + 1 < stage->lap_codes.size() ? stage->lap_codes[run + 1].first : SIZE_MAX;
  }
};

// Whether a stage's first page is in strictly ascending time: a cheap test that turns
// most unordered series (exports written newest first) away before any allocation.
bool first_page_ascends(const Stage& stage) {
  if (stage.pages.empty()) return true;
  const CompactSample* data = stage.pages[0].data();
  const std::size_t size = stage.page_size(0);
  for (std::size_t i = 1; i < size; ++i)
    if (data[i].time_offset <= data[i - 1].time_offset) return false;
  return true;
}

// The usual series: each worker's stage is in ascending time without repeats (loggers and
// the generator write in time order), so the series is a merge of sorted runs, written
// straight from the compact pages into the model's columns. The general path's 12-byte
// copy, run search and counting pass are skipped. Returns false, with nothing kept, when a
// stage goes back in time or repeats one, when two stages share a time, or when the series
// spans more than the 4-byte offsets hold: the general path handles those.
bool finish_ascending_series(SeriesTask& task) {
  std::vector<AscendingCursor> cursors;
  std::int64_t first = INT64_MAX;
  for (const Stage* stage : task.parts) {
    if (!stage->far_samples.empty() || !first_page_ascends(*stage)) return false;
    if (stage->compact_count() == 0) continue;
    AscendingCursor c;
    c.stage = stage;
    c.run = SIZE_MAX;  // advance_run() makes it 0
    c.advance_run();
    c.last = INT64_MIN;
    first = std::min(first, c.time());
    cursors.push_back(c);
  }
  if (cursors.empty()) return false;
  std::vector<std::uint32_t> offsets(task.count);
  std::vector<float> values(task.count);
  std::vector<LapRun> lap_runs;
  std::size_t n = 0;
  for (;;) {
    // The stage whose next sample comes first, and the earliest next time of the others.
    AscendingCursor* c = nullptr;
    std::int64_t limit = INT64_MAX;
    for (AscendingCursor& other : cursors) {
      if (other.done()) continue;
      const std::int64_t t = other.time();
      if (!c || t < c->time()) {
        if (c) limit = std::min(limit, c->time());
        c = &other;
      } else {
        limit = std::min(limit, t);
      }
    }
    if (!c) break;
    const Stage& stage = *c->stage;
    while (c->index >= c->next_run_at) c->advance_run();
    const int lap = lap_from_code(stage.lap_codes[c->run].second);
    if (lap_runs.empty() || lap_runs.back().lap != lap)
      lap_runs.push_back(LapRun{static_cast<std::uint32_t>(n), lap});
    // Take this stage's samples up to the others' next time.
    while (!c->done()) {
      const CompactSample* data = stage.pages[c->page].data();
      const std::size_t size = stage.page_size(c->page);
      std::size_t i = c->in_page;
      for (; i < size; ++i) {
        const std::int64_t t = stage.base_ms + data[i].time_offset;
        if (t >= limit) break;
        if (t <= c->last) return false;  // back in time, or a repeat
        if (c->index == c->next_run_at) [[unlikely]] {
          c->advance_run();
          const int next_lap = lap_from_code(stage.lap_codes[c->run].second);
          if (lap_runs.back().lap != next_lap)
            lap_runs.push_back(LapRun{static_cast<std::uint32_t>(n), next_lap});
        }
        const auto offset = static_cast<std::uint64_t>(t - first);
        if (offset > UINT32_MAX) return false;
        offsets[n] = static_cast<std::uint32_t>(offset);
        values[n] = data[i].value;
        ++n;
        ++c->index;
        c->last = t;
      }
      c->in_page = i;
      if (i < size) break;  // reached the limit
      ++c->page;
      c->in_page = 0;
    }
    if (!c->done() && c->time() == limit) return false;  // two stages share a time
  }
  ChannelSeries& s = task.series;
  s.channel = task.channel;
  s.time_ms.assign_offsets(first, std::move(offsets));
  s.value = std::move(values);
  lap_runs.shrink_to_fit();
  s.lap_runs = std::move(lap_runs);
  for (Stage* stage : task.parts) stage->release();
  return true;
}

void finish_series(SeriesTask& task) {
  if (finish_ascending_series(task)) return;
  SampleArray all(task.count);
  StagedSample* at = all.data();
  for (Stage* stage : task.parts) at = stage->expand_into(at);
  std::span<StagedSample> v(all.data(), task.count);
  sort_samples(v);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i == 0 || (v[i].key >> kTimeShift) != (v[i - 1].key >> kTimeShift)) ++kept;
  ChannelSeries& s = task.series;
  s.channel = task.channel;
  s.time_ms.reserve(kept);
  s.value.reserve(kept);
  std::size_t first_of_time = 0;
  bool conflict_counted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::uint64_t time = v[i].key >> kTimeShift;
    if (i > 0 && time == (v[first_of_time].key >> kTimeShift)) {
      ++task.duplicates;
      const StagedSample& k = v[first_of_time];
      if (!conflict_counted && (v[i].key != k.key || std::bit_cast<std::uint32_t>(v[i].value) !=
                                                         std::bit_cast<std::uint32_t>(k.value))) {
        ++task.conflicts;
        conflict_counted = true;
      }
      continue;
    }
    first_of_time = i;
    conflict_counted = false;
    const int lap = lap_from_code(v[i].key & 0xFFFF);
    if (s.lap_runs.empty() || s.lap_runs.back().lap != lap)
      s.lap_runs.push_back(LapRun{static_cast<std::uint32_t>(s.time_ms.size()), lap});
    s.time_ms.push_back(static_cast<std::int64_t>(time));
    s.value.push_back(v[i].value);
  }
  s.lap_runs.shrink_to_fit();
}

// Lowers the calling thread's priority by `steps` nice steps, up to the lowest (19). A
// thread may always lower its own priority; if the system says no, it stays as it was,
// since this is a preference, not a need.
void lower_this_thread_priority(int steps) {
  if (steps <= 0) return;
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  (void)setpriority(PRIO_PROCESS, tid, std::min(now + steps, 19));
}

// Runs f(i) for i in [0, n) on up to `threads` threads.
template <typename F>
void parallel_for(std::size_t n, unsigned threads, F&& f) {
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < n; i = next++) f(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads && t < n; ++t) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
}

struct Buffer {
  std::unique_ptr<char[]> data;
  std::size_t capacity = 0;
  std::size_t size = 0;
  bool quotes = false;  // some '"' may be in [0, size)
};

struct Block {
  std::uint64_t index = 0;
  std::string_view bytes;
  bool quotes = true;                // false only when bytes surely hold no '"'
  Buffer owned;                      // empty when bytes belong to the caller or to `keep`
  std::shared_ptr<const void> keep;  // holds the caller's buffer of bytes until parsed
};

// memcpy that also tells whether a '"' went past: one pass over the bytes instead of a
// copy and a memchr, which matters when the bytes are no longer in cache.
bool copy_noting_quotes(char* dst, const char* src, std::size_t n) {
  std::size_t i = 0;
  bool quote = false;
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"');
  __m128i seen = _mm_setzero_si128();
  for (; i + 64 <= n; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
    seen = _mm_or_si128(seen, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(b, q)),
                                           _mm_or_si128(_mm_cmpeq_epi8(c, q), _mm_cmpeq_epi8(d, q))));
  }
  quote = _mm_movemask_epi8(seen) != 0;
#endif
  for (; i < n; ++i) {
    dst[i] = src[i];
    quote |= src[i] == '"';
  }
  return quote;
}

// telemetry_row_prefix, told whether the bytes may hold quotes at all.
std::size_t row_prefix(std::string_view bytes, bool may_have_quotes) {
  const char* data = bytes.data();
  const std::size_t n = bytes.size();
  if (n == 0) return 0;
  const void* last = ::memrchr(data, '\n', n);
  if (!last) return 0;
  const char* nl = static_cast<const char*>(last);
  if (!may_have_quotes || !std::memchr(data, '"', static_cast<std::size_t>(nl - data)))
    return static_cast<std::size_t>(nl - data) + 1;
  auto quotes = static_cast<std::size_t>(std::count(data, nl, '"'));
  while (quotes % 2 != 0) {
    const void* prev = ::memrchr(data, '\n', static_cast<std::size_t>(nl - data));
    if (!prev) return 0;
    const char* p = static_cast<const char*>(prev);
    quotes -= static_cast<std::size_t>(std::count(p, nl, '"'));
    nl = p;
  }
  return static_cast<std::size_t>(nl - data) + 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::size_t telemetry_row_prefix(std::string_view bytes) {
  return row_prefix(bytes, true);
}

class TelemetryStreamParser::Impl {
 public:
  Impl(std::string key, TelemetryParseOptions options) : key_(std::move(key)), options_(options) {
    options_.threads = std::max(1u, options_.threads);
    options_.block_bytes = std::max<std::size_t>(options_.block_bytes, 1);
  }
  ~Impl() { stop_workers(); }

  Status feed(std::string_view chunk);
  Status feed(const SharedBytes& piece);
  Result<Telemetry> finish();
  // done_with, when given, is told of each block's bytes once they are parsed (from the
  // worker's thread; the blocks do not overlap).
  Result<Telemetry> parse_whole(std::string_view bytes,
                                std::function<void(std::string_view)> done_with = nullptr);

 private:
  Status take_header(std::string_view line, std::uint64_t newlines);
  void start_workers();
  void stop_workers();
  void submit(Block block);
  void cut_and_submit();
  void grow_current(std::size_t min_capacity);
  void append_to_current(std::string_view bytes);
  void submit_current();
  void submit_kept(std::string_view bytes, bool quotes, std::shared_ptr<const void> keep);
  std::string_view complete_current_row(std::string_view bytes);
  void submit_pending_blocks();
  void carry_pending();
  void worker_loop(Worker& worker);
  Buffer take_buffer(std::size_t min_capacity);
  Result<Telemetry> merge();

  std::string key_;
  TelemetryParseOptions options_;
  std::optional<Error> failed_;
  bool finished_ = false;

  bool header_done_ = false;
  std::string header_buffer_;
  Layout layout_;
  std::uint64_t header_newlines_ = 0;
  std::uint64_t bytes_ = 0;

  Buffer current_;
  std::uint64_t next_index_ = 0;
  // Shared pieces: rows not yet handed to a worker, in place in pending_owner_'s buffer.
  // Starts at a row start; empty whenever current_ holds bytes, so the two keep file order.
  std::string_view pending_;
  std::shared_ptr<const void> pending_owner_;

  std::mutex mu_;
  std::condition_variable can_push_;
  std::condition_variable can_pop_;
  std::condition_variable worker_ready_;
  std::size_t workers_ready_ = 0;  // workers that have set their priority
  std::deque<Block> queue_;
  bool closed_ = false;
  std::vector<Buffer> pool_;
  std::vector<BlockSummary> summaries_;
  std::optional<std::string> worker_failure_;

  std::function<void(std::string_view)> done_with_;  // see parse_whole
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

Status TelemetryStreamParser::Impl::take_header(std::string_view line, std::uint64_t newlines) {
  auto layout = read_header(line, key_);
  if (!layout) {
    failed_ = layout.error();
    return std::unexpected(layout.error());
  }
  layout_ = *layout;
  header_newlines_ = newlines;
  header_done_ = true;
  start_workers();
  return {};
}

void TelemetryStreamParser::Impl::start_workers() {
  for (unsigned t = 0; t < options_.threads; ++t) {
    workers_.push_back(std::make_unique<Worker>(layout_, options_.only_vehicle, options_.simd));
    threads_.emplace_back([this, w = workers_.back().get()] {
      lower_this_thread_priority(options_.worker_nice_steps);
      {
        std::lock_guard lock(mu_);
        ++workers_ready_;
      }
      worker_ready_.notify_one();
      worker_loop(*w);
    });
  }
  // Every worker has its priority before a block is parsed (and a test can see them all).
  std::unique_lock lock(mu_);
  worker_ready_.wait(lock, [&] { return workers_ready_ == threads_.size(); });
}

void TelemetryStreamParser::Impl::stop_workers() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  can_pop_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void TelemetryStreamParser::Impl::worker_loop(Worker& worker) {
  for (;;) {
    Block block;
    {
      std::unique_lock lock(mu_);
      can_pop_.wait(lock, [&] { return !queue_.empty() || closed_; });
      if (queue_.empty()) return;
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    can_push_.notify_one();
    BlockSummary summary;
    std::optional<std::string> failure;
    try {
      worker.parse(block.bytes, block.quotes, summary);
    } catch (const std::exception& e) {  // out of memory: reported by finish()
      failure = e.what();
    }
    if (done_with_) done_with_(block.bytes);
    std::lock_guard lock(mu_);
    summaries_[block.index] = std::move(summary);
    if (failure && !worker_failure_) worker_failure_ = std::move(failure);
    if (block.owned.data) {
      block.owned.size = 0;
      pool_.push_back(std::move(block.owned));
    }
  }
}

void TelemetryStreamParser::Impl::submit(Block block) {
  block.index = next_index_++;
  {
    std::unique_lock lock(mu_);
    can_push_.wait(lock, [&] { return queue_.size() < options_.threads; });
    if (summaries_.size() <= block.index) summaries_.resize(block.index + 1);
    queue_.push_back(std::move(block));
  }
  can_pop_.notify_one();
}

Buffer TelemetryStreamParser::Impl::take_buffer(std::size_t min_capacity) {
  {
    std::lock_guard lock(mu_);
    for (auto it = pool_.begin(); it != pool_.end(); ++it)
      if (it->capacity >= min_capacity) {
        Buffer b = std::move(*it);
        pool_.erase(it);
        b.size = 0;  // buffers go back to the pool with whatever they held
        b.quotes = false;
        return b;
      }
  }
  Buffer b;
  b.capacity = std::max(min_capacity, options_.block_bytes);
  b.data = std::make_unique_for_overwrite<char[]>(b.capacity);
  return b;
}

// Moves current_'s bytes into a buffer of at least min_capacity; the old one goes back to
// the pool.
void TelemetryStreamParser::Impl::grow_current(std::size_t min_capacity) {
  Buffer bigger = take_buffer(min_capacity);
  std::memcpy(bigger.data.get(), current_.data.get(), current_.size);
  bigger.size = current_.size;
  bigger.quotes = current_.quotes;
  std::swap(current_, bigger);
  std::lock_guard lock(mu_);
  pool_.push_back(std::move(bigger));
}

// The current block is full: hand over its complete rows, keep the partial last row.
void TelemetryStreamParser::Impl::cut_and_submit() {
  const std::size_t cut = row_prefix(std::string_view(current_.data.get(), current_.size), current_.quotes);
  if (cut == 0) {  // one row longer than a block: grow the block
    grow_current(current_.capacity * 2);
    return;
  }
  Buffer next = take_buffer(current_.size - cut);
  next.size = current_.size - cut;
  next.quotes = copy_noting_quotes(next.data.get(), current_.data.get() + cut, next.size);
  current_.size = cut;
  Block block;
  block.bytes = std::string_view(current_.data.get(), cut);
  block.quotes = current_.quotes;
  block.owned = std::move(current_);
  submit(std::move(block));
  current_ = std::move(next);
}

Status TelemetryStreamParser::Impl::feed(std::string_view chunk) {
  if (failed_) return std::unexpected(*failed_);
  if (finished_)
    return make_error(ErrorKind::InvalidInput, "telemetry parser of '" + key_ + "' fed after finish");
  if (!pending_.empty()) carry_pending();
  bytes_ += chunk.size();
  if (!header_done_) {
    const std::size_t before = header_buffer_.size();
    header_buffer_.append(chunk);
    const std::size_t end = first_row_end(header_buffer_);
    if (end == std::string_view::npos) {
      if (header_buffer_.size() > options_.max_header_bytes) {
        failed_ =
            Error{ErrorKind::Corrupt, "'" + key_ + "' is not a telemetry file: no header line in its first " +
                                          std::to_string(options_.max_header_bytes) + " bytes"};
        return std::unexpected(*failed_);
      }
      return {};
    }
    const std::string_view line(header_buffer_.data(), end);
    if (auto ok =
            take_header(line, static_cast<std::uint64_t>(std::count(line.begin(), line.end(), '\n')) + 1);
        !ok)
      return ok;
    chunk = chunk.substr(end + 1 - before);
    header_buffer_.clear();
    header_buffer_.shrink_to_fit();
  }
  while (!chunk.empty()) {
    if (!current_.data) current_ = take_buffer(options_.block_bytes);
    const std::size_t take = std::min(current_.capacity - current_.size, chunk.size());
    current_.quotes |= copy_noting_quotes(current_.data.get() + current_.size, chunk.data(), take);
    current_.size += take;
    chunk.remove_prefix(take);
    if (current_.size == current_.capacity) cut_and_submit();
  }
  return {};
}

// Shared pieces are cut into blocks in place; only a row split between two buffers is
// copied (into current_), which saves the feeding thread a copy of every byte.
Status TelemetryStreamParser::Impl::feed(const SharedBytes& piece) {
  // The header may span pieces, and without an owner the bytes cannot be kept: copy.
  if (!piece.owner || !header_done_ || failed_ || finished_) return feed(piece.bytes);
  bytes_ += piece.bytes.size();
  if (!pending_.empty() && pending_owner_ == piece.owner &&
      pending_.data() + pending_.size() == piece.bytes.data()) {
    pending_ = std::string_view(pending_.data(), pending_.size() + piece.bytes.size());
  } else {
    if (!pending_.empty()) carry_pending();
    std::string_view rest = piece.bytes;
    if (current_.data && current_.size > 0) rest = complete_current_row(rest);
    if (rest.empty()) return {};
    pending_ = rest;
    pending_owner_ = piece.owner;
  }
  submit_pending_blocks();
  return {};
}

// Hands over blocks of at least block_bytes of whole rows from pending_; a row longer than
// what is pending waits for more.
void TelemetryStreamParser::Impl::submit_pending_blocks() {
  while (pending_.size() >= options_.block_bytes) {
    std::size_t window = options_.block_bytes;
    std::size_t cut = 0;
    bool quotes = true;
    while (window <= pending_.size()) {
      quotes = std::memchr(pending_.data(), '"', window) != nullptr;
      cut = row_prefix(pending_.substr(0, window), quotes);
      if (cut > 0) break;
      window *= 2;
    }
    if (cut == 0) return;
    submit_kept(pending_.substr(0, cut), quotes, pending_owner_);
    pending_.remove_prefix(cut);
  }
}

// The next piece is in another buffer: hand over pending_'s whole rows and copy its
// partial last row into current_, to be completed from the next buffer.
void TelemetryStreamParser::Impl::carry_pending() {
  const bool quotes = std::memchr(pending_.data(), '"', pending_.size()) != nullptr;
  const std::size_t cut = row_prefix(pending_, quotes);
  // Copied before the whole rows go: once a worker has parsed them, the block's hold may
  // be the last one on the buffer.
  if (cut < pending_.size()) append_to_current(pending_.substr(cut));
  if (cut > 0) submit_kept(pending_.substr(0, cut), quotes, std::move(pending_owner_));
  pending_ = {};
  pending_owner_.reset();
}

// current_ starts at a row start: copies from bytes until current_ ends at a row end
// (a newline after an even number of quotes), submits it and returns the bytes after.
std::string_view TelemetryStreamParser::Impl::complete_current_row(std::string_view bytes) {
  std::size_t quotes = current_.quotes ? static_cast<std::size_t>(std::count(
                                             current_.data.get(), current_.data.get() + current_.size, '"'))
                                       : 0;
  while (!bytes.empty()) {
    const void* newline = std::memchr(bytes.data(), '\n', bytes.size());
    const std::size_t end =
        newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - bytes.data()) + 1
                : bytes.size();
    const std::string_view part = bytes.substr(0, end);
    quotes += static_cast<std::size_t>(std::count(part.begin(), part.end(), '"'));
    append_to_current(part);
    bytes.remove_prefix(end);
    if (newline && quotes % 2 == 0) {
      submit_current();
      break;
    }
  }
  return bytes;
}

// Appends to current_, growing it rather than cutting it (its rows are not complete yet).
void TelemetryStreamParser::Impl::append_to_current(std::string_view bytes) {
  if (!current_.data) current_ = take_buffer(bytes.size());
  if (current_.capacity - current_.size < bytes.size())
    grow_current(std::max(current_.capacity * 2, current_.size + bytes.size()));
  current_.quotes |= copy_noting_quotes(current_.data.get() + current_.size, bytes.data(), bytes.size());
  current_.size += bytes.size();
}

void TelemetryStreamParser::Impl::submit_kept(std::string_view bytes, bool quotes,
                                              std::shared_ptr<const void> keep) {
  Block block;
  block.bytes = bytes;
  block.quotes = quotes;
  block.keep = std::move(keep);
  submit(std::move(block));
}

void TelemetryStreamParser::Impl::submit_current() {
  Block block;
  block.bytes = std::string_view(current_.data.get(), current_.size);
  block.quotes = current_.quotes;
  block.owned = std::move(current_);
  current_ = Buffer{};
  submit(std::move(block));
}

Result<Telemetry> TelemetryStreamParser::Impl::finish() {
  if (failed_) return std::unexpected(*failed_);
  if (finished_)
    return make_error(ErrorKind::InvalidInput, "telemetry parser of '" + key_ + "' finished twice");
  finished_ = true;
  if (!header_done_) {
    if (header_buffer_.empty())
      return make_error(ErrorKind::Corrupt, "'" + key_ + "' is empty, not a telemetry file");
    const std::string_view line = header_buffer_;
    if (auto ok = take_header(line, static_cast<std::uint64_t>(std::count(line.begin(), line.end(), '\n')));
        !ok)
      return std::unexpected(ok.error());
  }
  if (!pending_.empty()) {  // the last rows, the very last maybe without its newline
    submit_kept(pending_, std::memchr(pending_.data(), '"', pending_.size()) != nullptr,
                std::move(pending_owner_));
    pending_ = {};
  }
  if (current_.data && current_.size > 0) submit_current();
  return merge();
}

Result<Telemetry> TelemetryStreamParser::Impl::parse_whole(std::string_view bytes,
                                                           std::function<void(std::string_view)> done_with) {
  done_with_ = std::move(done_with);
  finished_ = true;
  bytes_ = bytes.size();
  const std::size_t end = first_row_end(bytes);
  if (bytes.empty()) return make_error(ErrorKind::Corrupt, "'" + key_ + "' is empty, not a telemetry file");
  const std::string_view line = bytes.substr(0, end == std::string_view::npos ? bytes.size() : end);
  if (end == std::string_view::npos && line.size() > options_.max_header_bytes)
    return make_error(ErrorKind::Corrupt, "'" + key_ +
                                              "' is not a telemetry file: no header line in its first " +
                                              std::to_string(options_.max_header_bytes) + " bytes");
  const auto newlines = static_cast<std::uint64_t>(std::count(line.begin(), line.end(), '\n'));
  if (auto ok = take_header(line, newlines + (end == std::string_view::npos ? 0 : 1)); !ok)
    return std::unexpected(ok.error());
  std::size_t pos = end == std::string_view::npos ? bytes.size() : end + 1;
  while (pos < bytes.size()) {
    std::size_t window = options_.block_bytes;
    std::size_t cut = 0;
    bool quotes = true;
    while (pos + window < bytes.size()) {
      quotes = std::memchr(bytes.data() + pos, '"', window) != nullptr;
      cut = row_prefix(bytes.substr(pos, window), quotes);
      if (cut > 0) break;
      window *= 2;
    }
    if (pos + window >= bytes.size()) {
      cut = bytes.size() - pos;
      quotes = std::memchr(bytes.data() + pos, '"', cut) != nullptr;
    }
    Block block;
    block.bytes = bytes.substr(pos, cut);
    block.quotes = quotes;
    submit(std::move(block));
    pos += cut;
  }
  return merge();
}

Result<Telemetry> TelemetryStreamParser::Impl::merge() {
  stop_workers();
  if (worker_failure_)
    return make_error(ErrorKind::Unavailable, "parsing '" + key_ + "' failed: " + *worker_failure_);

  Telemetry t;
  // Channel ids: the known channels first, then the others by name.
  for (std::string_view known : kKnownChannels) t.channel_names.emplace_back(known);
  std::set<std::string> others;
  for (const auto& w : workers_)
    for (const auto& name : w->channel_names())
      if (std::find(kKnownChannels.begin(), kKnownChannels.end(), name) == kKnownChannels.end())
        others.insert(name);
  t.channel_names.insert(t.channel_names.end(), others.begin(), others.end());
  std::map<std::string, ChannelId, std::less<>> channel_ids;
  for (std::size_t i = 0; i < t.channel_names.size(); ++i)
    channel_ids.emplace(t.channel_names[i], static_cast<ChannelId>(i));

  std::map<std::string, std::size_t, std::less<>> vehicle_ids;
  for (const auto& w : workers_)
    for (const auto& name : w->vehicle_names()) vehicle_ids.emplace(name, 0);
  for (auto& [name, index] : vehicle_ids) {
    index = t.vehicles.size();
    t.vehicles.emplace_back().vehicle_id = name;
  }

  // One task per (vehicle, channel), gathering the stages of every worker.
  std::map<std::pair<std::size_t, ChannelId>, SeriesTask> by_series;
  std::vector<std::vector<std::int64_t>> lags(t.vehicles.size());
  for (const auto& w : workers_) {
    std::vector<std::size_t> vehicle_map;
    for (const auto& name : w->vehicle_names()) vehicle_map.push_back(vehicle_ids.find(name)->second);
    std::vector<ChannelId> channel_map;
    for (const auto& name : w->channel_names()) channel_map.push_back(channel_ids.find(name)->second);
    for (Stage& stage : w->stages()) {
      const std::size_t vehicle = vehicle_map[stage.vehicle];
      const ChannelId channel = channel_map[stage.channel];
      SeriesTask& task = by_series[{vehicle, channel}];
      task.vehicle = vehicle;
      task.channel = channel;
      task.count += stage.count();
      task.parts.push_back(&stage);
    }
    for (std::size_t v = 0; v < w->lags().size(); ++v) {
      auto& into = lags[vehicle_map[v]];
      into.insert(into.end(), w->lags()[v].begin(), w->lags()[v].end());
      std::vector<std::int64_t>().swap(w->lags()[v]);
    }
  }
  std::vector<SeriesTask*> tasks;
  for (auto& [key, task] : by_series) tasks.push_back(&task);
  std::vector<SeriesTask*> largest_first = tasks;
  std::stable_sort(largest_first.begin(), largest_first.end(),
                   [](const SeriesTask* a, const SeriesTask* b) { return a->count > b->count; });
  // Each vehicle's clock-offset evidence is sorted into a histogram in the same pool, after
  // the series (small tasks that fill the last gaps): serial, it cost 2% of a two-thread load.
  parallel_for(largest_first.size() + t.vehicles.size(), options_.threads, [&](std::size_t i) {
    if (i < largest_first.size()) return finish_series(*largest_first[i]);
    const std::size_t v = i - largest_first.size();
    std::sort(lags[v].begin(), lags[v].end());
    auto& out = t.vehicles[v].ingest_lags;
    for (std::int64_t lag : lags[v]) {
      if (!out.empty() && out.back().lag_ms == lag)
        ++out.back().count;
      else
        out.push_back(IngestLag{lag, 1});
    }
    std::vector<std::int64_t>().swap(lags[v]);
  });

  TelemetryReport& report = t.report;
  for (SeriesTask* task : tasks) {  // (vehicle, channel) order
    report.samples_read += task->count;
    report.duplicate_samples += task->duplicates;
    report.conflicting_keys += task->conflicts;
    if (!task->series.time_ms.empty()) t.vehicles[task->vehicle].channels.push_back(std::move(task->series));
  }
  workers_.clear();

  report.parse.object_key = key_;
  report.bytes = bytes_;
  report.json_layout = layout_.json;
  std::uint64_t line = 1 + header_newlines_;
  for (const BlockSummary& s : summaries_) {
    report.parse.rows += s.rows;
    report.parse.bad_rows += s.bad_rows;
    report.rows_of_other_vehicles += s.other_vehicle_rows;
    for (const auto& [rel, why] : s.reasons)
      if (report.parse.bad_row_reasons.size() < kKeptReasons)
        report.parse.bad_row_reasons.push_back(key_ + " line " + std::to_string(line + rel) + ": " + why);
    line += s.newlines;
  }
  summaries_.clear();
  // Lap files of some tracks also have a `value` column: read as JSON-in-CSV, every row is
  // bad and nothing says why. Rows without one sample among them are not telemetry.
  if (report.json_layout && report.parse.rows > 0 && report.samples_read == 0)
    return make_error(
        ErrorKind::Corrupt,
        "'" + key_ +
            "' has a value column but no row holds a JSON array of telemetry samples: not a "
            "telemetry file" +
            (report.parse.bad_row_reasons.empty() ? std::string()
                                                  : " (" + report.parse.bad_row_reasons.front() + ")"));
  return t;
}

TelemetryStreamParser::TelemetryStreamParser(std::string object_key, TelemetryParseOptions options)
    : impl_(std::make_unique<Impl>(std::move(object_key), options)) {}
TelemetryStreamParser::~TelemetryStreamParser() = default;
Status TelemetryStreamParser::feed(std::string_view chunk) {
  return impl_->feed(chunk);
}
Status TelemetryStreamParser::feed(const SharedBytes& piece) {
  return impl_->feed(piece);
}
Result<Telemetry> TelemetryStreamParser::finish() {
  return impl_->finish();
}

Result<Telemetry> parse_telemetry(std::string_view bytes, std::string_view object_key,
                                  const TelemetryParseOptions& options) {
  TelemetryStreamParser::Impl impl(std::string(object_key), options);
  return impl.parse_whole(bytes);
}

Result<Telemetry> load_telemetry(ObjectStore& store, std::string_view key,
                                 const TelemetryParseOptions& options) {
  // From disk with two or more parsing threads, the file as one mapping: parsed in place,
  // no read buffer, no copy (1 GiB: 0.52 s against 0.64 s by reads, bench/README.md); each
  // block's pages are dropped once parsed. With one parsing thread, reads are faster (1.13 s
  // against 1.26 s when measured): this thread reads and copies while the parser runs on
  // another core, where a mapping puts every page fault on the parser.
  auto mapped = options.threads >= 2 ? store.map(key) : Result<std::unique_ptr<MappedFile>>();
  if (!mapped) return std::unexpected(mapped.error());
  if (*mapped) {
    const MappedFile& file = **mapped;
    TelemetryStreamParser::Impl impl(std::string(key), options);
    auto telemetry =
        impl.parse_whole(file.bytes(), [&file](std::string_view parsed) { file.drop_pages(parsed); });
    if ((*mapped)->damaged())
      return make_error(ErrorKind::Unavailable, "'" + std::string(key) +
                                                    "' was truncated while being read (replaced in place?); "
                                                    "try again");
    return telemetry;
  }
  TelemetryStreamParser parser(std::string(key), options);
  // From S3, several ranged GETs at once whose chunks are parsed as they arrive in order.
  auto read = read_in_parallel(store, key,
                               SharedByteSink([&](const SharedBytes& piece) { return parser.feed(piece); }));
  if (!read) return std::unexpected(read.error());
  return parser.finish();
}

}  // namespace apex
