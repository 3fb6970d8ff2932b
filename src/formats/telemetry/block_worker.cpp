#include "formats/telemetry/block_worker.h"

#include <algorithm>
#include <cstring>

namespace apex::telemetry_parsing {

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
      if (in_quotes && newline) {
        // A telemetry row is one line (see telemetry_parser.h): a quote still open at the
        // line's end is a stray one, so this row is bad and the next line is the next row,
        // instead of the rest of the file being read as one field.
        reject_unterminated_quote(row_line, out);
        in_quotes = false;
        col = 0;
        field_begin = pos + 1;
        field_quotes = 0;
        row_line = ++line;
        continue;
      }
      if (in_quotes) continue;
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
  if (in_quotes) {  // the last row of the file, without a newline, its quote still open
    reject_unterminated_quote(row_line, out);
  } else if (field_begin < n || col > 0) {  // the last row of the file, without a newline
    if (col < kMaxColumns) fields[col] = FieldRef{field_begin, n, field_quotes};
    ++col;
    end_quoted_row(data, fields, col, row_line, out);
  }
  out.newlines = line;
}

void Worker::reject_unterminated_quote(std::uint64_t line, BlockSummary& out) {
  ++out.rows;
  if (wants_reason(out))
    reject(out, line, "unterminated quote (a quoted field cannot hold a line break)");
  else
    ++out.bad_rows;
}

// Without quotes a field is the bytes between two separators, so one position per
// separator is all a row needs: one store where a FieldRef takes three, which would be the
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
__attribute__((always_inline)) inline void Worker::take_row(const Get& get, std::uint64_t line,
                                                            BlockSummary& out) {
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

}  // namespace apex::telemetry_parsing
