// libFuzzer target: formats/csv_reader on arbitrary bytes. The reader must never read
// outside its input, loop forever or crash, whatever the quoting, line endings or bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The streaming reader with the detected delimiter and with both fixed ones.
  std::vector<std::string_view> fields;
  for (char delimiter : {apex::detect_delimiter(bytes), ',', ';'}) {
    apex::CsvReader reader(bytes, delimiter);
    std::size_t last_line = 0;
    std::size_t records = 0;
    while (reader.next(fields)) {
      // Records start on non-decreasing lines, and there cannot be more records than bytes.
      if (reader.line() < last_line || ++records > size + 1) __builtin_trap();
      last_line = reader.line();
      for (std::string_view f : fields) {
        volatile char sink = f.empty() ? 0 : f.front();  // touch every view's ends
        sink = f.empty() ? 0 : f.back();
        (void)sink;
      }
    }
  }

  // The table parser, then every cell it hands out.
  auto table = apex::CsvTable::parse(std::string(bytes), "fuzz.csv");
  if (table) {
    const std::size_t width = table->header().size();
    std::size_t total = 0;
    for (std::size_t r = 0; r < table->rows(); ++r)
      for (std::size_t c = 0; c < width; ++c) total += table->cell(r, c).size();
    (void)total;
    if (table->bad_row_reasons().size() > apex::CsvTable::kKeptReasons) __builtin_trap();
  }
  return 0;
}
