#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "formats/csv_reader.h"

namespace apex {
namespace {

// One table written in every dialect GR Cup files use parses to the same rows.
struct Dialect {
  char delimiter;
  bool crlf;
  bool bom;
  bool final_newline;
  bool quote_all;
  bool trailing_delimiter;
  bool padded_header;
};

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string write(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  const Dialect& d) {
  std::string out = d.bom ? "\xEF\xBB\xBF" : "";
  auto emit = [&](const std::vector<std::string>& fields, bool is_header) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out += d.delimiter;
      std::string f = fields[i];
      if (is_header && d.padded_header && i % 2 == 1) f = " " + f;
      bool must_quote = f.find_first_of(std::string("\"\r\n") + d.delimiter) != std::string::npos;
      out += (d.quote_all || must_quote) ? quote(f) : f;
    }
    if (d.trailing_delimiter) out += d.delimiter;
  };
  emit(header, true);
  for (const auto& row : rows) {
    out += d.crlf ? "\r\n" : "\n";
    emit(row, false);
  }
  if (d.final_newline) out += d.crlf ? "\r\n" : "\n";
  return out;
}

RC_GTEST_PROP(CsvDialectProperty, SameRowsInEveryDialect, ()) {
  // At least two columns: the delimiter is detected from the header, and a one-column
  // header has none to detect (every GR Cup file has many columns).
  const auto width = *rc::gen::inRange<std::size_t>(2, 7);
  std::vector<std::string> header;
  for (std::size_t i = 0; i < width; ++i) header.push_back("col" + std::to_string(i));
  const auto cell = rc::gen::oneOf(rc::gen::string<std::string>(),
                                   rc::gen::element<std::string>("1:37.428", "GR86-002-000", "a;b", "x,y",
                                                                 "say \"hi\"", "two\nlines", "", " padded "));
  auto rows = *rc::gen::resize(20, rc::gen::container<std::vector<std::vector<std::string>>>(
                                       rc::gen::container<std::vector<std::string>>(width, cell)));
  for (auto& r : rows)
    for (auto& f : r) f.erase(std::remove(f.begin(), f.end(), '\0'), f.end());
  // A trailing delimiter cannot be told from a last empty field, as with the real files' header.
  const bool last_can_be_empty =
      !std::any_of(rows.begin(), rows.end(), [](auto& r) { return r.back().empty(); });

  Dialect d{*rc::gen::element(',', ';'), *rc::gen::arbitrary<bool>(),
            *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(),
            *rc::gen::arbitrary<bool>(), last_can_be_empty && *rc::gen::arbitrary<bool>(),
            *rc::gen::arbitrary<bool>()};
  auto table = CsvTable::parse(write(header, rows, d), "generated.csv");
  RC_ASSERT(table.has_value());
  RC_ASSERT(table->header() == header);
  RC_ASSERT(table->bad_rows() == 0u);
  RC_ASSERT(table->rows() == rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < width; ++c) RC_ASSERT(std::string(table->cell(r, c)) == rows[r][c]);
}

}  // namespace
}  // namespace apex
