#include "formats/telemetry/telemetry_header.h"

#include <string>
#include <vector>

#include "formats/csv_reader.h"

namespace apex::telemetry_parsing {

namespace {

bool header_is(std::string_view field, std::string_view name) {
  if (field.size() != name.size()) return false;
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != name[i]) return false;
  }
  return true;
}

}  // namespace

Result<Layout> read_header(std::string_view line, std::string_view key) {
  // Said as the CSV reader says it for the other files: a binary file's header would be
  // quoted as bytes no one can read.
  if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos)
    return make_error(ErrorKind::Corrupt, "'" + std::string(key) +
                                              "' is binary, not a CSV file (NUL byte at offset " +
                                              std::to_string(nul) + ")");
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

std::size_t first_row_end(std::string_view bytes) {
  return bytes.find('\n');
}

}  // namespace apex::telemetry_parsing
