#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>

#include "core/time_format.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "piecewise_store.h"

namespace apex {
namespace {

// Any chunking of the bytes, any block size and thread count, either separator loop
// (baseline or AVX2), and a load in ranges of any size read at once give the model of the
// bytes parsed as one chunk. The generated files
// carry what real ones do (repeats, rows out of order, lost lap counters, long float
// strings, unknown channels) and what broken ones do (bad values and timestamps, short
// rows, blank lines, CRLF, quoted fields with commas and quotes inside, a quoted field with a
// line break, which ends its row as an unterminated quote, a missing final newline).

std::string csv_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

rc::Gen<std::string> long_format_file() {
  return rc::gen::exec([] {
    const bool crlf = *rc::gen::arbitrary<bool>();
    const bool quote_strings = *rc::gen::arbitrary<bool>();
    const std::string eol = crlf ? "\r\n" : "\n";
    auto text = [&](const std::string& s) { return quote_strings ? csv_quoted(s) : s; };
    std::string out =
        "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,"
        "telemetry_name,telemetry_value,timestamp,vehicle_id,vehicle_number" +
        eol;
    const auto rows = *rc::gen::inRange(0, 120);
    for (int r = 0; r < rows; ++r) {
      const auto kind = *rc::gen::inRange(0, 40);
      if (kind == 0) {
        out += eol;  // blank line
        continue;
      }
      if (kind == 1) {
        out += ",3,short row" + eol;
        continue;
      }
      const std::string vehicle = *rc::gen::element<std::string>("GR86-002-000", "GR86-010-16", "GR86-060-2");
      std::string name =
          *rc::gen::element<std::string>("speed", "ath", "pbrake_f", "Laptrigger_lapdist_dls", "VBOX_Lat_Min",
                                         "odd,name", "say \"hi\"", "two\nlines");
      if (!quote_strings && name.find_first_of(",\"\n") != std::string::npos) name = "Custom_Channel";
      const std::string value =
          kind == 2 ? "n/a"
                    : *rc::gen::element<std::string>("0.34600000000000003", "3715", "-0.074", "100", "0",
                                                     "33.532588958740234", "1e2", "12.5");
      const int ms = *rc::gen::inRange(0, 40) * 25;  // few distinct times: many repeats
      const std::string ts = kind == 3 ? "not a time"
                                       : "2025-09-05T00:28:2" + std::to_string(ms / 1000) + "." +
                                             std::to_string(1000 + ms % 1000).substr(1) + "Z";
      const int lap = *rc::gen::element(2, 3, 32768, 0);
      const int lag_ms = *rc::gen::inRange(100, 5000);
      const std::string meta = "2025-09-06T18:40:" + std::to_string(10 + lag_ms / 1000) + "." +
                               std::to_string(1000 + lag_ms % 1000).substr(1) + "Z";
      out += "," + std::to_string(lap) + "," + text("I_R06_2025-09-07") + ",R1,kafka:gr-raw," + text(meta) +
             "," + text(vehicle) + ",0," + text(name) + "," + value + "," + text(ts) + "," + text(vehicle) +
             ",0";
      if (r + 1 < rows || *rc::gen::arbitrary<bool>()) out += eol;
    }
    return out;
  });
}

rc::Gen<std::string> json_file() {
  return rc::gen::exec([] {
    std::string out =
        "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,timestamp,"
        "value,"
        "vehicle_id,vehicle_number\n";
    const auto rows = *rc::gen::inRange(0, 40);
    for (int r = 0; r < rows; ++r) {
      std::string pairs_text = "[";
      const auto pairs = *rc::gen::inRange(0, 5);
      for (int p = 0; p < pairs; ++p) {
        if (p) pairs_text += ", ";
        const std::string name = *rc::gen::element<std::string>("speed", "ath", "nmot", "sp\\u0065ed");
        const std::string value = *rc::gen::element<std::string>("1.5", "\"42\"", "null", "-0.074", "\"x\"");
        pairs_text += *rc::gen::arbitrary<bool>() ? "{\"name\":\"" + name + "\",\"value\":" + value + "}"
                                                  : "[\"" + name + "\"," + value + "]";
      }
      pairs_text += *rc::gen::inRange(0, 10) == 0 ? "" : "]";  // sometimes broken
      const int ms = *rc::gen::inRange(0, 20) * 50;
      out += ",4,I_R02,R2,kafka:gr-raw,2025-03-15T18:00:01.000Z,GR86-004-78,0,2025-03-15T18:00:00." +
             std::to_string(1000 + ms % 1000).substr(1) + "Z," + csv_quoted(pairs_text) + ",GR86-004-78,78\n";
    }
    return out;
  });
}

void check_chunking_invariance(const std::string& bytes) {
  TelemetryParseOptions whole{1, 1u << 20};
  whole.simd = false;  // the baseline separator loop; the others draw it or its AVX2 copy
  auto reference = parse_telemetry(bytes, "gen.csv", whole);
  const auto threads = *rc::gen::inRange(1u, 4u);
  const auto block = *rc::gen::inRange<std::size_t>(1, 300);
  TelemetryParseOptions options{threads, block};
  options.simd = *rc::gen::arbitrary<bool>();
  TelemetryStreamParser parser("gen.csv", options);
  for (std::size_t pos = 0; pos < bytes.size();) {
    const auto n = std::min(*rc::gen::inRange<std::size_t>(1, 80), bytes.size() - pos);
    RC_ASSERT(parser.feed(std::string_view(bytes).substr(pos, n)).has_value());
    pos += n;
  }
  auto streamed = parser.finish();
  auto in_memory = parse_telemetry(bytes, "gen.csv", options);
  // Read in ranges as from S3, each parsed by the thread that reads it, in pieces of any
  // size: rows cut by ranges and pieces everywhere.
  test::PiecewiseStore store(*rc::gen::inRange(2u, 5u), *rc::gen::inRange<std::size_t>(1, 120));
  RC_ASSERT(store.write_all("gen.csv", bytes).has_value());
  const auto range = *rc::gen::inRange<std::size_t>(1, 400);
  auto ranged = load_telemetry(store, "gen.csv", options, ParallelReadOptions{range, store.parallel_reads()});
  if (!reference) {
    // Only a JSON-layout file whose rows hold no sample at all is refused (it is not
    // telemetry); the refusal, with its first bad row, must not depend on the chunking.
    RC_TAG("refused: no sample in any row");
    RC_ASSERT(reference.error().kind == ErrorKind::Corrupt);
    RC_ASSERT(!streamed.has_value());
    RC_ASSERT(streamed.error().message == reference.error().message);
    RC_ASSERT(!in_memory.has_value());
    RC_ASSERT(in_memory.error().message == reference.error().message);
    RC_ASSERT(!ranged.has_value());
    RC_ASSERT(ranged.error().message == reference.error().message);
    return;
  }
  RC_ASSERT(streamed.has_value());
  RC_ASSERT(*streamed == *reference);
  RC_ASSERT(in_memory.has_value());
  RC_ASSERT(*in_memory == *reference);
  RC_ASSERT(ranged.has_value());
  RC_ASSERT(*ranged == *reference);
  // And the model keeps its promises.
  for (const VehicleTelemetry& v : reference->vehicles)
    for (const ChannelSeries& s : v.channels) {
      RC_ASSERT(std::adjacent_find(s.time_ms.begin(), s.time_ms.end(), std::greater_equal<>()) ==
                s.time_ms.end());
      RC_ASSERT(s.value.size() == s.time_ms.size());
    }
  RC_ASSERT(reference->samples() + reference->report.duplicate_samples == reference->report.samples_read);
}

// Series written in time order take the parser's merge of ascending stages; the same rows
// shuffled or newest first take its sort. All must give one model, whatever the threads
// and blocks. The series change laps, lose the lap counter, sometimes repeat a time (which
// turns the merge away) and sometimes jump by more than the 4-byte offsets or the staged
// 2^31 ms hold.
RC_GTEST_PROP(TelemetryChunkingProperty, TimeOrderedAndShuffledRowsGiveTheSameModel, ()) {
  struct Row {
    std::int64_t time_ms;
    std::string text;
  };
  std::vector<Row> rows;
  const auto series = *rc::gen::inRange(1, 6);
  for (int k = 0; k < series; ++k) {
    const std::string vehicle = "GR86-00" + std::to_string(k % 2) + "-1" + std::to_string(k % 2);
    const std::string channel = *rc::gen::element<std::string>("speed", "ath", "nmot", "Custom_Channel");
    std::int64_t time = 1'757'000'000'000 + *rc::gen::inRange(0, 1000);
    int lap = 1;
    // Most series are clean; some repeat one time (often after the first staged page of
    // 256 samples, where only the merge itself can see it), some repeat many, some have
    // ECU clock jumps past what 4-byte offsets hold.
    enum Kind { kClean, kOneRepeat, kManyRepeats, kClockJumps };
    const Kind kind = *rc::gen::element(kClean, kClean, kOneRepeat, kManyRepeats, kClockJumps);
    const auto samples = *rc::gen::inRange(1, 1000);
    const auto repeat_at = *rc::gen::inRange(0, samples);
    for (int i = 0; i < samples; ++i) {
      if (kind == kClockJumps && *rc::gen::inRange(0, 300) == 0)
        time += std::int64_t{1} << *rc::gen::element(31, 32, 33);
      else if (!(kind == kOneRepeat && i == repeat_at) &&
               !(kind == kManyRepeats && *rc::gen::inRange(0, 20) == 0))
        time += *rc::gen::inRange(1, 200);
      if (*rc::gen::inRange(0, 50) == 0) ++lap;
      const int lap_column = *rc::gen::inRange(0, 30) == 0 ? *rc::gen::element(0, 32768) : lap;
      // Built by append: g++ 12 warns falsely (-Wstringop-overflow) on a long + chain at -O3.
      std::string text = ",";
      text.append(std::to_string(lap_column)).append(",I_R06,R1,kafka:gr-raw,");
      text.append(format_iso8601_ms(time + 1500)).append(",").append(vehicle).append(",0,");
      text.append(channel).append(",").append(std::to_string(*rc::gen::inRange(0, 3000))).append(",");
      text.append(format_iso8601_ms(time)).append(",").append(vehicle).append(",0\n");
      rows.push_back(Row{time, std::move(text)});
    }
  }
  const std::string header =
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,"
      "telemetry_name,telemetry_value,timestamp,vehicle_id,vehicle_number\n";
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.time_ms < b.time_ms; });
  std::string ordered = header;
  for (const Row& row : rows) ordered += row.text;
  // Newest first, as real exports are written: the rows reversed, some moved back a place
  // or two (their batches repeat the last samples of the batch before), sometimes one moved
  // far (the Barber sample has a batch far from its place).
  std::vector<Row> newest(rows.rbegin(), rows.rend());
  for (std::size_t i = 2; i < newest.size(); ++i)
    if (*rc::gen::inRange(0, 15) == 0) std::swap(newest[i], newest[i - *rc::gen::inRange<std::size_t>(1, 3)]);
  if (newest.size() > 2 && *rc::gen::inRange(0, 4) == 0)
    std::swap(newest[*rc::gen::inRange<std::size_t>(0, newest.size())],
              newest[*rc::gen::inRange<std::size_t>(0, newest.size())]);
  std::string newest_first = header;
  for (const Row& row : newest) newest_first += row.text;
  std::mt19937 rng(*rc::gen::arbitrary<std::uint32_t>());
  std::shuffle(rows.begin(), rows.end(), rng);  // (a repeat's rows may swap: same model)
  std::string shuffled = header;
  for (const Row& row : rows) shuffled += row.text;

  const auto threads = *rc::gen::inRange(1u, 4u);
  const auto block = *rc::gen::inRange<std::size_t>(64, 2000);
  TelemetryParseOptions options{threads, block};
  options.simd = *rc::gen::arbitrary<bool>();
  auto from_ordered = parse_telemetry(ordered, "gen.csv", options);
  auto from_shuffled = parse_telemetry(shuffled, "gen.csv", TelemetryParseOptions{1, 1u << 20});
  RC_ASSERT(from_ordered.has_value());
  RC_ASSERT(from_shuffled.has_value());
  RC_ASSERT(from_ordered->report.duplicate_samples == from_shuffled->report.duplicate_samples);
  RC_ASSERT(from_ordered->vehicles == from_shuffled->vehicles);
  auto from_newest_first = parse_telemetry(newest_first, "gen.csv", options);
  RC_ASSERT(from_newest_first.has_value());
  RC_ASSERT(from_newest_first->report.duplicate_samples == from_ordered->report.duplicate_samples);
  RC_ASSERT(from_newest_first->vehicles == from_ordered->vehicles);
  RC_TAG(from_ordered->report.duplicate_samples == 0 ? "no repeats" : "repeats");
}

RC_GTEST_PROP(TelemetryChunkingProperty, AnyChunkingGivesTheSameModel, ()) {
  check_chunking_invariance(*long_format_file());
}

RC_GTEST_PROP(TelemetryChunkingProperty, AnyChunkingGivesTheSameModelForJsonRows, ()) {
  check_chunking_invariance(*json_file());
}

}  // namespace
}  // namespace apex
