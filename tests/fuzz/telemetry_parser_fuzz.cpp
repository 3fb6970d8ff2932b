// libFuzzer target: formats/telemetry_parser on arbitrary bytes, whole and streamed.
//
// Besides crashes and sanitizer reports it checks the parser's documented promise: for
// the same bytes the Telemetry is identical whatever the chunking, block size or thread
// count. The input is parsed once whole (one thread, default blocks) and once streamed
// through TelemetryStreamParser in chunks of pseudo-random sizes, with tiny blocks and two threads, and once
// read in ranges from a store that hands them over in pieces (as from S3), so rows, quotes and CRLFs get cut
// everywhere; and one of its vehicles is loaded alone, which must give that vehicle's samples exactly.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "../piecewise_store.h"
#include "../telemetry_same_data.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"

namespace {

// Chunk sizes from a small generator seeded by the input: deterministic per input, so a
// crash reproduces from the saved input alone.
std::uint64_t next(std::uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  apex::TelemetryParseOptions whole_options;
  whole_options.threads = 1;
  whole_options.simd = false;  // the baseline separator loop, against the AVX2 copy below
  auto whole = apex::parse_telemetry(bytes, "fuzz.csv", whole_options);

  std::uint64_t state = 0x9E3779B97F4A7C15ULL ^ size;
  for (std::size_t i = 0; i < size && i < 16; ++i) state = state * 131 + data[i];
  if (state == 0) state = 1;

  apex::TelemetryParseOptions stream_options;
  stream_options.threads = 2;
  stream_options.block_bytes = 1 + next(state) % 300;
  stream_options.max_header_bytes = whole_options.max_header_bytes;
  apex::TelemetryStreamParser parser("fuzz.csv", stream_options);
  bool fed = true;
  for (std::size_t pos = 0; pos < size && fed;) {
    const std::size_t n = std::min<std::size_t>(size - pos, 1 + next(state) % 97);
    fed = parser.feed(bytes.substr(pos, n)).has_value();
    pos += n;
  }
  auto streamed =
      fed ? parser.finish() : apex::Result<apex::Telemetry>(apex::make_error(apex::ErrorKind::Corrupt, ""));

  if (whole.has_value() != streamed.has_value()) __builtin_trap();
  if (whole && !(*whole == *streamed)) __builtin_trap();

  // Read in ranges as from S3, each parsed by the thread that reads it, handed over in
  // pieces: rows cut by the ranges' edges and by the pieces anywhere.
  if (size > 1) {
    const auto readers = static_cast<unsigned>(2 + next(state) % 3);
    apex::test::PiecewiseStore store(readers, 1 + next(state) % 50);
    if (!store.write_all("fuzz.csv", bytes)) __builtin_trap();
    const std::size_t range = 1 + next(state) % std::min<std::size_t>(size - 1, 300);
    auto ranged =
        apex::load_telemetry(store, "fuzz.csv", stream_options, apex::ParallelReadOptions{range, readers});
    if (whole.has_value() != ranged.has_value()) __builtin_trap();
    if (whole && !(*whole == *ranged)) __builtin_trap();
    if (!whole && ranged.error().message != whole.error().message) __builtin_trap();
  }

  // A one-vehicle load (TelemetryParseOptions::only_vehicle) holds exactly that vehicle of
  // the whole load, channels compared by name (ids are local to a load).
  if (whole && !whole->vehicles.empty()) {
    const apex::VehicleTelemetry& pick = whole->vehicles[next(state) % whole->vehicles.size()];
    if (pick.samples() > 0) {
      apex::TelemetryParseOptions one_options = whole_options;
      one_options.only_vehicle = pick.vehicle_id;
      auto one = apex::parse_telemetry(bytes, "fuzz.csv", one_options);
      if (!one || one->vehicles.size() != 1 ||
          !apex::test::same_vehicle_data(*whole, pick, *one, one->vehicles[0]))
        __builtin_trap();
    }
  }

  // The row cutter: a prefix that ends with a newline, or nothing.
  const std::size_t prefix = apex::telemetry_row_prefix(bytes);
  if (prefix > size || (prefix > 0 && bytes[prefix - 1] != '\n')) __builtin_trap();
  return 0;
}
