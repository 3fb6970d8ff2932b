// apex sample IN_DIR OUT_DIR --keep 1/N: a smaller copy of a race-data tree for a
// deployment that cannot carry 20-25 GB. Telemetry keeps every Nth sample of each
// (vehicle, channel), so every channel of every car survives at 1/N of its rate (keeping
// every Nth row would drop whole channels, since a timestamp's channels come in a fixed
// order); lap and official timing files are copied unchanged.
//
// Telemetry files are 1.5-3.6 GB, so they stream: rows are cut from large reads and kept
// rows are copied byte for byte (same header, columns, quoting and line endings), so the
// sampled file is one the same parsers read. Nothing is ever written into IN_DIR; every
// output goes to a temporary file beside its target and is renamed into place. An OUT_DIR
// that is not empty is refused before anything is written, unless --overwrite is given.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "catalog/catalog.h"
#include "cli/cli_setup.h"
#include "cli/commands.h"
#include "core/counted_noun.h"
#include "storage/atomic_file.h"
#include "storage/local_store.h"

namespace apex::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kReadBytes = 8u << 20;
// A line longer than this is not a telemetry row (a binary file, or one without line
// breaks): stop rather than read gigabytes into memory looking for its end.
constexpr std::size_t kMaxRowBytes = 256u << 20;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A field without its quotes ("" is one quote): the same vehicle or channel may be
// quoted in one export and bare in another.
std::string_view unquoted(std::string_view field, std::string& scratch) {
  while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
  if (field.size() < 2 || field.front() != '"') return field;
  scratch.clear();
  for (std::size_t i = 1; i < field.size(); ++i) {
    if (field[i] == '"') {
      if (i + 1 < field.size() && field[i + 1] == '"') {
        scratch.push_back('"');
        ++i;
        continue;
      }
      break;
    }
    scratch.push_back(field[i]);
  }
  return scratch;
}

// Splits one row (without its line ending) on commas outside quotes.
void split_row(std::string_view row, std::vector<std::string_view>& fields) {
  fields.clear();
  bool in_quotes = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const char c = row[i];
    if (c == '"') in_quotes = !in_quotes;
    if (c == ',' && !in_quotes) {
      fields.push_back(row.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  fields.push_back(row.substr(begin));
}

std::string_view without_line_end(std::string_view row) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  return row;
}

struct SampleFigures {
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t rows_in = 0;
  std::uint64_t rows_out = 0;
  std::uint64_t unreadable_rows = 0;  // too few fields to tell the vehicle or channel: dropped
  bool json_layout = false;
};

// Keeps the rows whose (vehicle, channel) counter is a multiple of N, as they were.
// A row is one line, the telemetry parser's rule (see formats/telemetry_parser.h); a row
// whose quote is still open at its end is unreadable, and the next line is the next row.
class RowSampler {
 public:
  RowSampler(std::string name, std::uint64_t every, AtomicFile& out)
      : name_(std::move(name)), every_(every), out_(out) {}

  // Consumes the complete rows at the start of bytes; returns how many bytes they took.
  // At eof the rest is the last row, even without a newline.
  Result<std::size_t> take(std::string_view bytes, bool eof) {
    std::size_t row_start = 0;
    while (row_start < bytes.size()) {
      const void* hit = std::memchr(bytes.data() + row_start, '\n', bytes.size() - row_start);
      if (!hit && !eof) break;  // the row goes on in the next read
      const std::size_t end =
          hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data()) + 1 : bytes.size();
      const std::string_view line = bytes.substr(row_start, end - row_start);
      const auto quotes = static_cast<std::size_t>(std::count(line.begin(), line.end(), '"'));
      if (auto ok = row(line, quotes > 0, quotes % 2 != 0); !ok) return std::unexpected(ok.error());
      row_start = end;
    }
    return row_start;
  }

  Status finish() {
    if (!header_done_)
      return make_error(ErrorKind::Corrupt, "'" + name_ + "' is empty, not a telemetry file");
    return {};
  }

  const SampleFigures& figures() const { return figures_; }

 private:
  Status row(std::string_view bytes, bool has_quotes, bool quote_left_open) {
    const std::string_view content = without_line_end(bytes);
    if (!header_done_) return header(bytes, content);
    if (content.empty()) return {};  // a blank line carries no sample
    ++figures_.rows_in;
    if (quote_left_open) {
      ++figures_.unreadable_rows;
      return {};
    }
    if (has_quotes)
      split_row(content, fields_);
    else
      split_plain_row(content);
    if (fields_.size() <= needed_) {
      ++figures_.unreadable_rows;
      return {};
    }
    key_.assign(unquoted(fields_[vehicle_], scratch_));
    if (name_column_) {
      key_.push_back('\0');
      key_.append(unquoted(fields_[*name_column_], scratch_));
    }
    auto it = counters_.find(std::string_view(key_));
    if (it == counters_.end()) it = counters_.emplace(key_, 0).first;
    if (it->second++ % every_ == 0) {
      ++figures_.rows_out;
      return write(bytes);
    }
    return {};
  }

  // Most files hold no quote: memchr to the last key column, not a byte loop over the row.
  void split_plain_row(std::string_view content) {
    fields_.clear();
    const char* p = content.data();
    const char* const end = p + content.size();
    while (fields_.size() <= needed_) {
      const void* comma = std::memchr(p, ',', static_cast<std::size_t>(end - p));
      if (!comma) {
        fields_.emplace_back(p, static_cast<std::size_t>(end - p));
        return;
      }
      const char* c = static_cast<const char*>(comma);
      fields_.emplace_back(p, static_cast<std::size_t>(c - p));
      p = c + 1;
    }
  }

  // The header is kept as written; its columns say which layout the file has (the
  // parser's rule: telemetry_name means long format, else a value column holds JSON).
  Status header(std::string_view bytes, std::string_view content) {
    if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);
    split_row(content, fields_);
    std::optional<std::size_t> vehicle, name, value;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const std::string h = lower(unquoted(fields_[i], scratch_));
      if (h == "vehicle_id" && !vehicle) vehicle = i;
      if (h == "telemetry_name" && !name) name = i;
      if ((h == "telemetry_value" || h == "value") && !value) value = i;
    }
    if (!vehicle || !value)
      return make_error(ErrorKind::Corrupt, "'" + name_ +
                                                "' is not a telemetry file: its header has no vehicle_id and "
                                                "telemetry_value / value columns");
    vehicle_ = *vehicle;
    name_column_ = name;
    figures_.json_layout = !name;
    needed_ = std::max(vehicle_, name.value_or(0));
    header_done_ = true;
    return write(bytes);
  }

  Status write(std::string_view bytes) {
    if (auto ok = out_.append(bytes); !ok)
      return make_error(ErrorKind::Unavailable,
                        "cannot write the sample of '" + name_ + "': " + std::strerror(ok.error().error));
    figures_.bytes_out += bytes.size();
    return {};
  }

  std::string name_;
  std::uint64_t every_;
  AtomicFile& out_;
  bool header_done_ = false;
  std::size_t vehicle_ = 0;
  std::optional<std::size_t> name_column_;  // nullopt: JSON-in-CSV, one row per timestamp
  std::size_t needed_ = 0;                  // highest key column
  std::vector<std::string_view> fields_;
  std::string scratch_;
  std::string key_;
  std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> counters_;
  SampleFigures figures_;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text() {
  return std::strerror(errno);
}

// Writes target through a temporary file beside it, renamed into place when body
// succeeds, so an interrupted run never leaves a truncated file under the final name.
Status write_atomically(const fs::path& target, const std::function<Status(AtomicFile&)>& body) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return make_error(ErrorKind::Unavailable,
                      "cannot create '" + target.parent_path().string() + "': " + ec.message());
  auto out = AtomicFile::create(target, ".apex-sample-tmp");
  if (!out)
    return make_error(ErrorKind::Unavailable, "cannot create a temporary file beside '" + target.string() +
                                                  "': " + std::strerror(out.error().error));
  if (auto ok = body(*out); !ok) return ok;
  if (auto ok = out->commit(); !ok) {
    const char* action =
        ok.error().step == AtomicFileFailure::Step::Replace ? "cannot rename '" : "cannot write '";
    return make_error(ErrorKind::Unavailable,
                      action + out->temporary_path().string() + "': " + std::strerror(ok.error().error));
  }
  return {};
}

// Streams source through fn(bytes, eof) -> bytes consumed; the unconsumed tail (a row cut
// by the read) is carried into the next read. Memory: one read buffer, grown only for a
// row longer than it.
Status stream_file(const fs::path& source,
                   const std::function<Result<std::size_t>(std::string_view, bool)>& fn) {
  File in(std::fopen(source.c_str(), "rb"));
  if (!in)
    return make_error(ErrorKind::Unavailable, "cannot open '" + source.string() + "': " + errno_text());
  std::vector<char> buffer(kReadBytes);
  std::size_t filled = 0;
  for (;;) {
    if (filled == buffer.size()) {
      if (buffer.size() >= kMaxRowBytes)
        return make_error(ErrorKind::Corrupt, "'" + source.string() + "' has a row longer than " +
                                                  std::to_string(kMaxRowBytes >> 20) +
                                                  " MiB: not a telemetry file?");
      buffer.resize(buffer.size() * 2);
    }
    const std::size_t got = std::fread(buffer.data() + filled, 1, buffer.size() - filled, in.get());
    if (got == 0 && std::ferror(in.get()))
      return make_error(ErrorKind::Unavailable, "cannot read '" + source.string() + "': " + errno_text());
    filled += got;
    const bool eof = got == 0;
    auto used = fn(std::string_view(buffer.data(), filled), eof);
    if (!used) return std::unexpected(used.error());
    std::memmove(buffer.data(), buffer.data() + *used, filled - *used);
    filled -= *used;
    if (eof) return {};
  }
}

Status copy_unchanged(const fs::path& source, const fs::path& target) {
  return write_atomically(target, [&](AtomicFile& out) -> Status {
    return stream_file(source, [&](std::string_view bytes, bool) -> Result<std::size_t> {
      if (auto ok = out.append(bytes); !ok)
        return make_error(ErrorKind::Unavailable,
                          "cannot write '" + target.string() + "': " + std::strerror(ok.error().error));
      return bytes.size();
    });
  });
}

std::optional<std::uint64_t> parse_keep(std::string_view text) {
  if (text.starts_with("1/")) text.remove_prefix(2);
  std::uint64_t n = 0;
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n == 0) return std::nullopt;
  return n;
}

// True when inner is outer or lies below it (both made absolute with symlinks resolved).
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // the empty last element of a path ending in '/'
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

struct Planned {
  std::string key;
  FileKind kind;
  std::uint64_t size = 0;
};

struct Existing {
  std::string name;  // relative to OUT_DIR
  bool would_replace = false;
};

// What in out_dir makes it non-empty: the first file the plan would replace, else its
// first entry. nullopt: out_dir is missing or empty.
std::optional<Existing> first_existing(const fs::path& out_dir, const std::map<std::string, Planned>& plan) {
  std::error_code ec;
  auto it = fs::directory_iterator(out_dir, ec);
  if (ec || it == fs::directory_iterator()) return std::nullopt;
  for (const auto& [key, file] : plan)
    if (fs::exists(fs::symlink_status(out_dir / key, ec))) return Existing{key, true};
  return Existing{it->path().filename().string(), false};
}

std::string percent(std::uint64_t after, std::uint64_t before) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%",
                before == 0 ? 100.0 : 100.0 * static_cast<double>(after) / static_cast<double>(before));
  return text;
}

struct SampleOptions {
  std::string in_dir, out_dir, keep = "1/10";
  std::vector<std::string> tracks, kinds;
  bool overwrite = false;
};

// The options checked and resolved: absolute folders with symlinks resolved, the kinds
// chosen (empty: all) and N of 1/N.
struct SampleSetup {
  fs::path in_dir, out_dir;
  std::set<FileKind> kinds;
  std::uint64_t every = 1;
};

// An option's mistake: said on stderr, then the run stops with kExitConfiguration.
[[gnu::format(printf, 1, 2)]] std::unexpected<int> refuse(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  return std::unexpected(kExitConfiguration);
}

// Checks --keep, --kinds and the two folders before anything is read; on a mistake, the
// exit code after the message is printed.
std::expected<SampleSetup, int> check_options(const SampleOptions& options) {
  SampleSetup setup;
  const auto every = parse_keep(options.keep);
  if (!every)
    return refuse("apex: --keep '%s' is not 1/N or N with N a positive integer\n", options.keep.c_str());
  setup.every = *every;
  for (const auto& name : options.kinds) {
    auto kind = file_kind_from_string(name);
    if (!kind)
      return refuse(
          "apex: --kinds: unknown kind '%s' (telemetry, lap_start, lap_end, lap_time, sections, "
          "results, results_by_class, best_laps, weather)\n",
          name.c_str());
    setup.kinds.insert(*kind);
  }
  std::error_code ec;
  if (!fs::is_directory(options.in_dir, ec))
    return refuse("apex: IN_DIR '%s' is not a folder\n", options.in_dir.c_str());
  // Said once here rather than once per file when each write fails.
  if (fs::exists(options.out_dir, ec) && !fs::is_directory(options.out_dir, ec))
    return refuse("apex: OUT_DIR '%s' is not a folder\n", options.out_dir.c_str());
  setup.in_dir = fs::weakly_canonical(fs::absolute(options.in_dir));
  setup.out_dir = fs::weakly_canonical(fs::absolute(options.out_dir));
  if (within(setup.out_dir, setup.in_dir))
    return refuse("apex: OUT_DIR '%s' is inside IN_DIR '%s': refusing to write into the source\n",
                  setup.out_dir.c_str(), setup.in_dir.c_str());
  return setup;
}

// The files a run writes, by key, and how many files of no known kind it leaves out.
struct SamplePlan {
  std::map<std::string, Planned> files;
  std::size_t skipped = 0;
};

// Every object of a chosen track whose name says its kind: the chosen file of each
// session, the alternates beside it, and files of a kind without a session token.
std::expected<SamplePlan, int> plan_sample(const SampleOptions& options, const SampleSetup& setup,
                                           LocalStore& store) {
  auto catalog = Catalog::build(store);
  if (!catalog) return refuse("apex: %s\n", catalog.error().message.c_str());
  for (const auto& track : options.tracks)
    if (!catalog->find_track(track)) {
      std::string known;
      for (const auto& t : catalog->tracks()) known += (known.empty() ? "" : ", ") + t.id;
      return refuse("apex: --tracks: no track '%s' in %s (there are: %s)\n", track.c_str(),
                    setup.in_dir.c_str(), known.empty() ? "none" : known.c_str());
    }
  SamplePlan plan;
  for (const TrackCatalog& track : catalog->tracks()) {
    if (!options.tracks.empty() &&
        std::find(options.tracks.begin(), options.tracks.end(), track.id) == options.tracks.end())
      continue;
    auto consider = [&](const std::string& key, std::uint64_t size) {
      const auto kind = classify_file_name(std::string_view(key).substr(track.id.size() + 1)).kind;
      if (!kind) {
        ++plan.skipped;
        return;
      }
      if (setup.kinds.empty() || setup.kinds.contains(*kind)) plan.files[key] = Planned{key, *kind, size};
    };
    for (const SessionFiles& session : track.sessions) {
      for (const auto& [kind, object] : session.files) consider(object.key, object.size);
      for (const auto& object : session.alternates) consider(object.key, object.size);
    }
    for (const auto& file : track.unrecognised) {
      auto stat = store.stat(file.key);
      consider(file.key, stat ? stat->size : 0);
    }
  }
  if (plan.files.empty()) {
    std::fprintf(stderr, "apex: nothing to sample in %s for the chosen tracks and kinds\n",
                 setup.in_dir.c_str());
    return std::unexpected(kExitFailure);
  }
  return plan;
}

// OUT_DIR made ready: replacing files silently could destroy a user's edited file, so an
// OUT_DIR with anything in it is refused unless --overwrite says replacing is meant; a
// folder that cannot be made (a file above it, no permission) stops the run before the
// first file, with the system's reason.
std::expected<void, int> prepare_out_dir(const SampleOptions& options, const SampleSetup& setup,
                                         const SamplePlan& plan) {
  if (!options.overwrite)
    if (auto existing = first_existing(setup.out_dir, plan.files))
      return refuse(
          "apex: OUT_DIR '%s' is not empty ('%s' is there%s): sample into a new or empty folder, "
          "or pass --overwrite to replace the files the sample writes; nothing was written\n",
          setup.out_dir.c_str(), existing->name.c_str(),
          existing->would_replace ? " and would be replaced" : "");
  std::error_code ec;
  if (fs::create_directories(setup.out_dir, ec); ec)
    return refuse("apex: cannot create OUT_DIR '%s': %s\n", setup.out_dir.c_str(), ec.message().c_str());
  return {};
}

// Writes one planned file into OUT_DIR: telemetry thinned to 1/N, anything else copied.
Status sample_file(const Planned& file, const SampleSetup& setup, SampleFigures& figures) {
  const fs::path source = setup.in_dir / file.key;
  const fs::path target = setup.out_dir / file.key;
  if (file.kind != FileKind::Telemetry) return copy_unchanged(source, target);
  return write_atomically(target, [&](AtomicFile& out) -> Status {
    RowSampler sampler(source.string(), setup.every, out);
    if (auto streamed =
            stream_file(source, [&](std::string_view bytes, bool eof) { return sampler.take(bytes, eof); });
        !streamed)
      return streamed;
    figures = sampler.figures();
    return sampler.finish();
  });
}

void print_file_line(const Planned& file, std::uint64_t before, std::uint64_t after,
                     const SampleFigures& figures) {
  std::printf("%-16s %14" PRIu64 " %14" PRIu64 " %7s  %s\n", std::string(to_string(file.kind)).c_str(),
              before, after, percent(after, before).c_str(), file.key.c_str());
  if (file.kind == FileKind::Telemetry)
    std::printf("%-16s rows %" PRIu64 " -> %" PRIu64 "%s%s\n", "", figures.rows_in, figures.rows_out,
                figures.json_layout ? " (JSON-in-CSV: every Nth row per vehicle)" : "",
                figures.unreadable_rows > 0
                    ? (", " + counted(figures.unreadable_rows, "unreadable row") + " dropped").c_str()
                    : "");
  std::fflush(stdout);
}

// Samples every planned file, one line each, then the totals; a file that fails is said and
// skipped, and the run ends kExitFailure.
int write_sample(const SampleSetup& setup, const SamplePlan& plan) {
  std::printf("apex: sampling %s from %s into %s, keeping 1/%" PRIu64 " of the telemetry samples\n",
              counted(plan.files.size(), "file").c_str(), setup.in_dir.c_str(), setup.out_dir.c_str(),
              setup.every);
  std::printf("%-16s %14s %14s %7s  %s\n", "kind", "bytes before", "bytes after", "kept", "file");
  std::fflush(stdout);
  std::uint64_t total_before = 0;
  std::uint64_t total_after = 0;
  int failures = 0;
  std::error_code ec;
  for (const auto& [key, file] : plan.files) {
    // Belt and braces beyond the OUT_DIR check: no target may resolve into IN_DIR
    // (a symlinked folder inside OUT_DIR, say).
    if (within(fs::weakly_canonical(setup.out_dir / key, ec), setup.in_dir)) {
      std::fprintf(stderr, "apex: %s: its target resolves into IN_DIR: skipped\n", key.c_str());
      ++failures;
      continue;
    }
    const std::uint64_t before = fs::file_size(setup.in_dir / key, ec);
    SampleFigures figures;
    if (Status ok = sample_file(file, setup, figures); !ok) {
      std::fprintf(stderr, "apex: %s\n", ok.error().message.c_str());
      ++failures;
      continue;
    }
    const std::uint64_t after = fs::file_size(setup.out_dir / key, ec);
    total_before += before;
    total_after += after;
    print_file_line(file, before, after, figures);
  }
  std::printf("%-16s %14" PRIu64 " %14" PRIu64 " %7s  %s\n", "total", total_before, total_after,
              percent(total_after, total_before).c_str(),
              counted(plan.files.size() - static_cast<std::size_t>(failures), "file").c_str());
  if (plan.skipped > 0)
    std::printf("apex: %s of no known kind (maps, notes) %s not copied\n",
                counted(plan.skipped, "file").c_str(), plan.skipped == 1 ? "was" : "were");
  return failures > 0 ? kExitFailure : kExitOk;
}

int run_sample(const SampleOptions& options) {
  auto setup = check_options(options);
  if (!setup) return setup.error();
  LocalStore store(setup->in_dir);
  auto plan = plan_sample(options, *setup, store);
  if (!plan) return plan.error();
  if (auto ready = prepare_out_dir(options, *setup, *plan); !ready) return ready.error();
  return write_sample(*setup, *plan);
}

}  // namespace

Action add_sample_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sample",
      "Copy a data tree keeping 1/N of each car's telemetry samples per channel (lap files unchanged)");
  auto options = std::make_shared<SampleOptions>();
  cmd->add_option("IN_DIR", options->in_dir, "Data folder to read (one folder per track)")->required();
  cmd->add_option("OUT_DIR", options->out_dir,
                  "Folder to write the sample into: new or empty (see --overwrite), not inside IN_DIR")
      ->required();
  cmd->add_option("--keep", options->keep, "Keep 1/N of the samples of each vehicle and channel: 1/10, or 10")
      ->capture_default_str();
  cmd->add_option("--tracks", options->tracks, "Only these track folders (comma-separated)")->delimiter(',');
  cmd->add_option("--kinds", options->kinds,
                  "Only these kinds: telemetry, lap_start, lap_end, lap_time, sections, results, "
                  "results_by_class, best_laps, weather (default: all)")
      ->delimiter(',');
  cmd->add_flag("--overwrite", options->overwrite,
                "Write into an OUT_DIR that is not empty, replacing the files the sample writes (refused "
                "without it)");
  return [options]() { return run_sample(*options); };
}

}  // namespace apex::cli
