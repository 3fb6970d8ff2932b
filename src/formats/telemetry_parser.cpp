#include "formats/telemetry_parser.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/thread_priority.h"
#include "formats/telemetry/block_worker.h"
#include "formats/telemetry/series_finish.h"
#include "formats/telemetry/telemetry_header.h"

namespace apex {

using namespace telemetry_parsing;  // the parser's parts, in formats/telemetry/

namespace {

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
  bool quotes = true;  // false only when bytes surely hold no '"'
  Buffer owned;        // empty when the bytes belong to the caller (parse_whole)
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

// telemetry_row_prefix: through the last newline (a row is one line, quoted or not).
std::size_t row_prefix(std::string_view bytes) {
  const void* last = bytes.empty() ? nullptr : ::memrchr(bytes.data(), '\n', bytes.size());
  return last ? static_cast<std::size_t>(static_cast<const char*>(last) - bytes.data()) + 1 : 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::size_t telemetry_row_prefix(std::string_view bytes) {
  return row_prefix(bytes);
}

namespace {

// What parse_ranges keeps of one range. Its rows are parsed where they arrive; the rows cut
// by its edges are kept (head, tail) and joined with its neighbours' once all are in.
struct RangeRows {
  std::string head;  // the bytes through the range's first newline (all of them while none)
  bool head_complete = false;
  std::string early;                    // rows that arrived before the header was known
  std::string tail;                     // the row after the last newline so far
  std::vector<BlockSummary> summaries;  // of the rows parsed, in order
};

}  // namespace

class TelemetryStreamParser::Impl {
 public:
  Impl(std::string key, TelemetryParseOptions options) : key_(std::move(key)), options_(options) {
    options_.threads = std::max(1u, options_.threads);
    options_.block_bytes = std::max<std::size_t>(options_.block_bytes, 1);
  }
  ~Impl() { stop_workers(); }

  Status feed(std::string_view chunk);
  Result<Telemetry> finish();
  // done_with, when given, is told of each block's bytes once they are parsed (from the
  // worker's thread; the blocks do not overlap).
  Result<Telemetry> parse_whole(std::string_view bytes,
                                std::function<void(std::string_view)> done_with = nullptr);
  // The file in `ranges` ranges read at once by `readers` threads (TelemetryRangeParser).
  void begin_ranges(std::uint64_t size, std::uint64_t ranges, unsigned readers);
  Status take_range_piece(std::uint64_t range, unsigned reader, std::string_view bytes);
  Result<Telemetry> finish_ranges();

 private:
  Result<Telemetry> join_ranges(std::vector<RangeRows>& ranges);
  Status take_header(std::string_view line, std::uint64_t newlines);
  Error no_header_line() const {
    return Error{ErrorKind::Corrupt, "'" + key_ + "' is not a telemetry file: no header line in its first " +
                                         std::to_string(options_.max_header_bytes) + " bytes"};
  }
  void start_workers();
  void stop_workers();
  void submit(Block block);
  void cut_and_submit();
  void grow_current(std::size_t min_capacity);
  void submit_current();
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
  unsigned thread_free_workers_ = 0;                 // ranges: workers without threads
  std::vector<RangeRows> ranges_;                    // ranges: what each range left to join
  std::atomic<bool> header_ready_{false};            // ranges: range 0's first line is parsed
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
  if (thread_free_workers_ > 0) {  // ranges: the reading threads run them
    for (unsigned t = 0; t < thread_free_workers_; ++t)
      workers_.push_back(std::make_unique<Worker>(layout_, options_.only_vehicle, options_.simd));
    return;
  }
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
  const std::size_t cut = row_prefix(std::string_view(current_.data.get(), current_.size));
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
  bytes_ += chunk.size();
  if (!header_done_) {
    const std::size_t before = header_buffer_.size();
    header_buffer_.append(chunk);
    const std::size_t end = first_row_end(header_buffer_);
    if (end == std::string_view::npos) {
      if (header_buffer_.size() > options_.max_header_bytes) {
        failed_ = no_header_line();
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
    while (pos + window < bytes.size()) {
      cut = row_prefix(bytes.substr(pos, window));
      if (cut > 0) break;
      window *= 2;
    }
    if (pos + window >= bytes.size()) cut = bytes.size() - pos;
    Block block;
    block.bytes = bytes.substr(pos, cut);
    block.quotes = std::memchr(bytes.data() + pos, '"', cut) != nullptr;
    submit(std::move(block));
    pos += cut;
  }
  return merge();
}

namespace {

void parse_rows(Worker& worker, std::string_view rows, std::vector<BlockSummary>& summaries) {
  worker.parse(rows, std::memchr(rows.data(), '"', rows.size()) != nullptr, summaries.emplace_back());
}

// The length of the first row with its newline, 0 while it has none (first_row_end: a row
// is one line).
std::size_t through_first_row(std::string_view bytes) {
  const std::size_t end = first_row_end(bytes);
  return end == std::string_view::npos ? 0 : end + 1;
}

// Bytes of a range after its head: whole rows are parsed in place, and the row the bytes
// end inside waits in rr.tail for the next piece.
void take_range_bytes(Worker& worker, RangeRows& rr, std::string_view bytes) {
  if (!rr.tail.empty()) {
    const std::size_t end = through_first_row(bytes);
    if (end == 0) {
      rr.tail.append(bytes);
      return;
    }
    rr.tail.append(bytes.substr(0, end));
    parse_rows(worker, rr.tail, rr.summaries);
    rr.tail.clear();
    bytes.remove_prefix(end);
  }
  const std::size_t rows = row_prefix(bytes);
  if (rows > 0) parse_rows(worker, bytes.substr(0, rows), rr.summaries);
  rr.tail.assign(bytes.substr(rows));
}

}  // namespace

void TelemetryStreamParser::Impl::begin_ranges(std::uint64_t size, std::uint64_t ranges, unsigned readers) {
  finished_ = true;
  bytes_ = size;
  // One worker per reader, and one for the rows cut by the ranges' edges, parsed at the end:
  // in a reader's worker they would go back in time (after that reader's later ranges),
  // which sends whole series from the merge of sorted stages to the sort.
  thread_free_workers_ = readers + 1;
  ranges_.assign(ranges, RangeRows{});
}

// The header is range 0's first line. Rows that arrive before it is known (another range
// is quicker) wait in their range's `early`; nothing blocks, so a failed read cannot leave
// a reader waiting.
Status TelemetryStreamParser::Impl::take_range_piece(std::uint64_t range, unsigned reader,
                                                     std::string_view bytes) {
  RangeRows& rr = ranges_[range];
  if (bytes.empty()) return {};
  if (!rr.head_complete) {
    const std::size_t end = through_first_row(bytes);
    rr.head.append(bytes.substr(0, end == 0 ? bytes.size() : end));
    if (end == 0) {
      if (range == 0 && rr.head.size() > options_.max_header_bytes) return std::unexpected(no_header_line());
      return {};
    }
    rr.head_complete = true;
    bytes.remove_prefix(end);
    if (range == 0) {
      if (auto ok = take_header(std::string_view(rr.head).substr(0, rr.head.size() - 1), 1); !ok) return ok;
      header_ready_.store(true, std::memory_order_release);
    }
  }
  if (!header_ready_.load(std::memory_order_acquire)) {
    rr.early.append(bytes);
    return {};
  }
  try {
    Worker& worker = *workers_[reader];
    if (!rr.early.empty()) take_range_bytes(worker, rr, std::exchange(rr.early, std::string()));
    take_range_bytes(worker, rr, bytes);
  } catch (const std::exception& e) {  // out of memory
    return make_error(ErrorKind::Unavailable, "parsing '" + key_ + "' failed: " + e.what());
  }
  return {};
}

Result<Telemetry> TelemetryStreamParser::Impl::finish_ranges() {
  try {
    return join_ranges(ranges_);
  } catch (const std::exception& e) {  // out of memory
    return make_error(ErrorKind::Unavailable, "parsing '" + key_ + "' failed: " + e.what());
  }
}

// In file order: the rows cut by the ranges' edges between each range's own rows. The first
// whole line is the header (known already unless range 0 held no newline: only with ranges
// shorter than max_header_bytes, when every range's rows wait in `early` until here).
Result<Telemetry> TelemetryStreamParser::Impl::join_ranges(std::vector<RangeRows>& ranges) {
  std::string carry;  // a row begun in an earlier range
  bool header_line = true;
  for (RangeRows& rr : ranges) {
    carry += rr.head;
    if (!rr.head_complete) {  // no newline in the whole range
      if (!header_done_ && carry.size() > options_.max_header_bytes) return std::unexpected(no_header_line());
      continue;
    }
    if (header_line) {
      header_line = false;
      if (!header_done_) {
        if (auto ok = take_header(std::string_view(carry).substr(0, carry.size() - 1), 1); !ok)
          return std::unexpected(ok.error());
      }
    } else {
      parse_rows(*workers_.back(), carry, summaries_);
    }
    // Rows of a range read while the header was unknown, parsed here in file order.
    if (!rr.early.empty()) take_range_bytes(*workers_.back(), rr, rr.early);
    std::move(rr.summaries.begin(), rr.summaries.end(), std::back_inserter(summaries_));
    carry = std::move(rr.tail);
    rr = RangeRows{};
  }
  if (header_line) {  // no newline in the whole object: it is one header line
    if (auto ok = take_header(carry, 0); !ok) return std::unexpected(ok.error());
  } else if (!carry.empty()) {
    parse_rows(*workers_.back(), carry, summaries_);  // the last row, without a newline
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
Result<Telemetry> TelemetryStreamParser::finish() {
  return impl_->finish();
}

Result<Telemetry> parse_telemetry(std::string_view bytes, std::string_view object_key,
                                  const TelemetryParseOptions& options,
                                  std::function<void(std::string_view)> done_with) {
  TelemetryStreamParser::Impl impl(std::string(object_key), options);
  return impl.parse_whole(bytes, std::move(done_with));
}

TelemetryRangeParser::TelemetryRangeParser(std::string object_key, std::uint64_t size, std::uint64_t ranges,
                                           unsigned readers, TelemetryParseOptions options)
    : impl_(std::make_unique<TelemetryStreamParser::Impl>(std::move(object_key), options)) {
  impl_->begin_ranges(size, ranges, readers);
}
TelemetryRangeParser::~TelemetryRangeParser() = default;
Status TelemetryRangeParser::take(std::uint64_t range, unsigned reader, std::string_view bytes) {
  return impl_->take_range_piece(range, reader, bytes);
}
Result<Telemetry> TelemetryRangeParser::finish() {
  return impl_->finish_ranges();
}

}  // namespace apex
