#include "formats/telemetry/series_finish.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>

namespace apex::telemetry_parsing {

namespace {

// A function object rather than a function: std::sort and std::merge inline it through its
// type, where a function pointer is inlined only if the compiler specialises the sort for
// it, which GCC does not do for these types with external linkage (a few percent of a parse).
constexpr auto sample_less = [](const StagedSample& a, const StagedSample& b) {
  if (a.key != b.key) return a.key < b.key;
  return std::bit_cast<std::uint32_t>(a.value) < std::bit_cast<std::uint32_t>(b.value);
};

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

}  // namespace

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

}  // namespace apex::telemetry_parsing
