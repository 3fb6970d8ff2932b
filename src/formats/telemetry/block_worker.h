// A telemetry parsing worker: parses blocks of whole rows (either layout) into its own
// stages, one per (vehicle, channel), with its own vehicle and channel names. The
// TelemetryStreamParser runs several and merges their stages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/telemetry/field_text.h"
#include "formats/telemetry/sample_stage.h"
#include "formats/telemetry/separator_masks.h"
#include "formats/telemetry/telemetry_header.h"

namespace apex::telemetry_parsing {

constexpr std::size_t kKeptReasons = 5;  // reasons for bad rows kept in the report

// Lets the vehicle map be searched with a string_view, without a std::string per row.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What a worker counted in one block, merged into the report in block order.
struct BlockSummary {
  std::uint64_t newlines = 0;
  std::uint64_t rows = 0;
  std::uint64_t bad_rows = 0;
  std::uint64_t other_vehicle_rows = 0;  // read past: not TelemetryParseOptions::only_vehicle
  std::vector<std::pair<std::uint64_t, std::string>> reasons;  // (line within the block, why)
};

// A field of a row that may hold quotes: its bytes in the block and the quotes among them.
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
  // Inlined into each row ending by force: GCC's own choice depends on the size of the
  // translation unit (its unit-growth limit), so the hot path would change with the headers
  // a build happens to include.
  template <typename Get>
  __attribute__((always_inline)) void take_row(const Get& get, std::uint64_t line, BlockSummary& out);
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
  void reject_unterminated_quote(std::uint64_t line, BlockSummary& out);
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

// The fast paths of the per-row lookups are inlined into the row loop; a call each would be
// a tenth of a row's instructions (cachegrind).
__attribute__((always_inline)) inline std::uint32_t Worker::vehicle_index(std::string_view name) {
  // Rows of one car come in runs: compare with the last one's name first.
  if (last_vehicle_ != UINT32_MAX && same_text(last_vehicle_name_, name)) [[likely]]
    return last_vehicle_;
  return looked_up_vehicle_index(name);
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

__attribute__((always_inline)) inline Stage& Worker::stage(std::uint32_t vehicle, std::uint32_t channel) {
  const auto& row = series_of_[vehicle];
  if (channel < row.size() && row[channel] >= 0) [[likely]]
    return stages_[static_cast<std::size_t>(row[channel])];
  return new_stage(vehicle, channel);
}

}  // namespace apex::telemetry_parsing
