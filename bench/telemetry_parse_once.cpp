// Parses a telemetry file once, in memory, for instruction counts under cachegrind
// (bench/telemetry_instructions.sh): wall time on a shared VM moves by 20% between runs,
// instruction counts do not. With --read-only it reads the file and stops, so the script
// can subtract what reading costs; with --no-simd it parses with the baseline x86-64 loop
// (TelemetryParseOptions::simd).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "formats/telemetry_parser.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: telemetry_parse_once FILE [--read-only | --no-simd]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "telemetry_parse_once: cannot open '%s'\n", argv[1]);
    return 1;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string text = std::move(bytes).str();
  const std::string_view flag = argc > 2 ? argv[2] : "";
  if (flag == "--read-only") return 0;
  apex::TelemetryParseOptions options;
  options.threads = 1;
  options.simd = flag != "--no-simd";
  auto telemetry = apex::parse_telemetry(text, argv[1], options);
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().describe().c_str());
    return 1;
  }
  std::printf("%llu rows\n", static_cast<unsigned long long>(telemetry->report.parse.rows));
  return 0;
}
