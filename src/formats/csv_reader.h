// A streaming CSV reader for the dialects in GR Cup data: ',' or ';' delimiters,
// RFC 4180 quoting ("" escapes, delimiters and newlines inside quotes), CRLF or LF,
// a UTF-8 BOM, a missing final newline.
//
// Written by hand rather than taken from a library because the telemetry hot path
// needs zero-copy fields (views into the caller's buffer, one copy only for quoted
// fields with escapes) and Debian ships no C++ CSV library with that contract.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace apex {

// Picks ';' or ',' by counting them (outside quotes) in the first line.
char detect_delimiter(std::string_view bytes);

class CsvReader {
 public:
  CsvReader(std::string_view bytes, char delimiter);

  // Reads the next non-empty record into fields (views valid until the next call).
  // Returns false at end of input.
  bool next(std::vector<std::string_view>& fields);

  // 1-based line on which the record last returned by next() started.
  std::size_t line() const { return record_line_; }
  // True when the record last returned ended inside an unterminated quote.
  bool unterminated_quote() const { return unterminated_; }
  // True when the record last returned had more than kMaxFieldsPerRecord fields (only the
  // first ones are in `fields`). No GR Cup file has more than a few hundred columns.
  bool too_wide() const { return dropped_fields_ > 0; }
  static constexpr std::size_t kMaxFieldsPerRecord = 4096;

 private:
  void add_field(std::vector<std::string_view>& fields, std::string_view field);
  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
  char delimiter_;
  bool unterminated_ = false;
  std::size_t dropped_fields_ = 0;
  std::deque<std::string> unescaped_;  // storage for quoted fields that had "" or were split
};

// A whole small CSV file parsed into a table with a header. Header names are
// trimmed (official files pad some with a leading space). A trailing delimiter on
// every line (one track's export) is dropped. Rows whose width differs from the
// header are counted as bad and skipped, with the first reasons kept.
class CsvTable {
 public:
  static Result<CsvTable> parse(std::string bytes, std::string_view file_name,
                                std::optional<char> delimiter = std::nullopt);

  const std::vector<std::string>& header() const { return header_; }
  // Column index by header name, ignoring case; nullopt when absent.
  std::optional<std::size_t> column(std::string_view name) const;
  std::size_t rows() const { return line_of_row_.size(); }
  std::string_view cell(std::size_t row, std::size_t column) const {
    return cells_[row * header_.size() + column];
  }
  std::size_t line_of_row(std::size_t row) const { return line_of_row_[row]; }
  std::size_t bad_rows() const { return bad_rows_; }
  const std::vector<std::string>& bad_row_reasons() const { return bad_row_reasons_; }
  const std::string& file_name() const { return file_name_; }

  static constexpr std::size_t kKeptReasons = 5;

 private:
  // Behind a pointer so the views in cells_ survive moving the table (small-string buffers move).
  std::unique_ptr<std::string> bytes_;
  std::string file_name_;
  std::deque<std::string> owned_;
  std::vector<std::string> header_;
  std::vector<std::string_view> cells_;
  std::vector<std::size_t> line_of_row_;
  std::size_t bad_rows_ = 0;
  std::vector<std::string> bad_row_reasons_;
};

}  // namespace apex
