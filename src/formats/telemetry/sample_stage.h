// What a telemetry parsing worker keeps of each (vehicle, channel) until the merge: samples
// of 8 bytes in pages that never move, the lap code run-length encoded beside them, and
// the 12-byte StagedSample (time and lap in one sortable key) the merge expands them to.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include "model/telemetry.h"

namespace apex::telemetry_parsing {

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

inline int lap_from_code(std::uint64_t code) {
  if (code == kLapLostCode) return kLapCountLost;
  if (code == kLapUnknownCode) return 0;
  return static_cast<int>(code);
}

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

}  // namespace apex::telemetry_parsing
