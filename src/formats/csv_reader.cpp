#include "formats/csv_reader.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace apex {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view strip_bom(std::string_view bytes) {
  if (bytes.starts_with(kUtf8Bom)) bytes.remove_prefix(kUtf8Bom.size());
  return bytes;
}

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

char detect_delimiter(std::string_view bytes) {
  bytes = strip_bom(bytes);
  std::size_t commas = 0, semicolons = 0;
  bool quoted = false;
  for (char c : bytes) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    if (c == ',') ++commas;
    if (c == ';') ++semicolons;
  }
  return semicolons > commas ? ';' : ',';
}

CsvReader::CsvReader(std::string_view bytes, char delimiter)
    : bytes_(strip_bom(bytes)), delimiter_(delimiter) {}

// Keeps at most kMaxFieldsPerRecord fields of a record and counts the rest: a line of
// millions of delimiters would otherwise cost gigabytes of views to reject.
void CsvReader::add_field(std::vector<std::string_view>& fields, std::string_view field) {
  if (fields.size() < kMaxFieldsPerRecord)
    fields.push_back(field);
  else
    ++dropped_fields_;
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
  fields.clear();
  dropped_fields_ = 0;
  unescaped_.clear();
  unterminated_ = false;
  const char* data = bytes_.data();
  const std::size_t size = bytes_.size();
  // Skip blank lines between records.
  while (pos_ < size && (data[pos_] == '\n' || data[pos_] == '\r')) {
    if (data[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= size) return false;
  record_line_ = line_;

  while (true) {
    if (pos_ < size && data[pos_] == '"') {
      // Quoted field: views the buffer directly unless it holds an escaped quote.
      std::size_t start = ++pos_;
      std::string* copy = nullptr;
      std::size_t run_start = start;
      while (true) {
        const void* hit = pos_ < size ? std::memchr(data + pos_, '"', size - pos_) : nullptr;
        if (!hit) {
          // Unterminated quote: take the rest of the input as the field.
          for (std::size_t i = pos_; i < size; ++i)
            if (data[i] == '\n') ++line_;
          unterminated_ = true;
          if (copy) copy->append(data + run_start, size - run_start);
          pos_ = size;
          break;
        }
        std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
        for (std::size_t i = pos_; i < q; ++i)
          if (data[i] == '\n') ++line_;
        if (q + 1 < size && data[q + 1] == '"') {
          if (!copy) copy = &unescaped_.emplace_back();
          copy->append(data + run_start, q + 1 - run_start);  // keep one quote
          pos_ = run_start = q + 2;
          continue;
        }
        if (copy) copy->append(data + run_start, q - run_start);
        pos_ = q + 1;
        if (!copy) add_field(fields, std::string_view(data + start, q - start));
        break;
      }
      if (copy)
        add_field(fields, *copy);
      else if (unterminated_)
        add_field(fields, std::string_view(data + start, size - start));
      // Anything between the closing quote and the delimiter is kept, as most readers do.
      std::size_t tail = pos_;
      while (pos_ < size && data[pos_] != delimiter_ && data[pos_] != '\n' && data[pos_] != '\r') ++pos_;
      if (pos_ > tail && dropped_fields_ == 0) {
        std::string& joined = unescaped_.emplace_back(fields.back());
        joined.append(data + tail, pos_ - tail);
        fields.back() = joined;
      }
    } else {
      std::size_t start = pos_;
      while (pos_ < size && data[pos_] != delimiter_ && data[pos_] != '\n' && data[pos_] != '\r') ++pos_;
      add_field(fields, std::string_view(data + start, pos_ - start));
    }
    if (pos_ >= size) return true;
    char c = data[pos_];
    if (c == delimiter_) {
      ++pos_;
      if (pos_ >= size) {  // a delimiter at the very end: one more empty field
        add_field(fields, std::string_view());
        return true;
      }
      continue;
    }
    // End of record: CRLF, LF or a lone CR.
    if (c == '\r') ++pos_;
    if (pos_ < size && data[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (c == '\r') {
      ++line_;
    }
    return true;
  }
}

Result<CsvTable> CsvTable::parse(std::string bytes, std::string_view file_name,
                                 std::optional<char> delimiter) {
  CsvTable table;
  table.bytes_ = std::make_unique<std::string>(std::move(bytes));
  table.file_name_ = std::string(file_name);
  std::string_view view = *table.bytes_;
  if (view.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::Corrupt, "'" + table.file_name_ +
                                              "' is binary, not a CSV file (NUL byte at offset " +
                                              std::to_string(view.find('\0')) + ")");
  char delim = delimiter.value_or(detect_delimiter(view));
  CsvReader reader(view, delim);
  std::vector<std::string_view> fields;
  if (!reader.next(fields))
    return make_error(ErrorKind::Corrupt, "'" + table.file_name_ + "' is empty: no header line");
  if (reader.too_wide())
    return make_error(ErrorKind::Corrupt, "'" + table.file_name_ + "' line " + std::to_string(reader.line()) +
                                              ": the header has more than " +
                                              std::to_string(CsvReader::kMaxFieldsPerRecord) + " fields");
  for (auto f : fields) table.header_.emplace_back(trim_view(f));
  bool trailing_delimiter = table.header_.size() > 1 && table.header_.back().empty();
  if (trailing_delimiter) table.header_.pop_back();
  const std::size_t width = table.header_.size();

  auto reject = [&](std::string reason) {
    ++table.bad_rows_;
    if (table.bad_row_reasons_.size() < kKeptReasons)
      table.bad_row_reasons_.push_back(table.file_name_ + " line " + std::to_string(reader.line()) + ": " +
                                       reason);
  };
  while (reader.next(fields)) {
    // One track ends every line with ';'; some lap_time files end data rows (not the header) with ','.
    if (fields.size() == width + 1 && fields.back().empty()) fields.pop_back();
    if (reader.unterminated_quote()) {
      reject("unterminated quoted field");
      continue;
    }
    if (reader.too_wide()) {
      reject("more than " + std::to_string(CsvReader::kMaxFieldsPerRecord) + " fields");
      continue;
    }
    if (fields.size() != width) {
      reject("expected " + std::to_string(width) + " fields, found " + std::to_string(fields.size()));
      continue;
    }
    for (auto f : fields) {
      // Views into bytes_ stay valid; views into the reader's scratch storage must be copied.
      bool in_buffer =
          f.empty() || (f.data() >= view.data() && f.data() + f.size() <= view.data() + view.size());
      table.cells_.push_back(in_buffer ? f : std::string_view(table.owned_.emplace_back(f)));
    }
    table.line_of_row_.push_back(reader.line());
  }
  return table;
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (iequals(header_[i], name)) return i;
  return std::nullopt;
}

}  // namespace apex
