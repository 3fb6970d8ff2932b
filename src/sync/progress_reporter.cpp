#include "sync/progress_reporter.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>

namespace apex::sync {

namespace {

constexpr std::size_t kMaxListedErrors = 5;
constexpr std::size_t kBarWidth = 20;
constexpr auto kRedrawInterval = std::chrono::milliseconds(150);

// printf-style formatting into a string (g++ 12's library has no <format>).
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  return std::string(buffer, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof buffer) - 1)));
}

using ull = unsigned long long;

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return printf_string("%llu B", static_cast<ull>(bytes));
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit >= 2 && value < 10 ? printf_string("%.2f %s", value, kUnits[unit])
                                 : printf_string("%.1f %s", value, kUnits[unit]);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return printf_string("%.1fs", seconds);
  auto total = static_cast<std::uint64_t>(std::llround(seconds));
  if (total < 60) return printf_string("%llus", static_cast<ull>(total));
  if (total < 3600)
    return printf_string("%llum%02llus", static_cast<ull>(total / 60), static_cast<ull>(total % 60));
  return printf_string("%lluh%02llum", static_cast<ull>(total / 3600), static_cast<ull>(total % 3600 / 60));
}

std::string format_progress_line(const ProgressSnapshot& s, std::size_t width) {
  double fraction = s.bytes_total > 0 ? static_cast<double>(s.bytes_done) / static_cast<double>(s.bytes_total)
                    : s.files_total > 0
                        ? static_cast<double>(s.files_done) / static_cast<double>(s.files_total)
                        : 1.0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  auto filled = static_cast<std::size_t>(fraction * kBarWidth);
  std::string line = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
  line += printf_string("%3.0f%%  %zu/%zu files  %s/%s", fraction * 100, s.files_done, s.files_total,
                        format_bytes(s.bytes_done).c_str(), format_bytes(s.bytes_total).c_str());
  double rate = s.seconds > 0 ? static_cast<double>(s.bytes_sent) / s.seconds : 0;
  line += "  " + format_bytes(static_cast<std::uint64_t>(rate)) + "/s";
  if (s.files_done < s.files_total) {
    if (rate > 0 && s.bytes_total >= s.bytes_done)
      line += "  ETA " + format_duration(static_cast<double>(s.bytes_total - s.bytes_done) / rate);
    else
      line += "  ETA ?";
  }
  if (line.size() > width) line.resize(width);
  return line;
}

std::string format_file_line(std::string_view verb, FileResult result, std::string_view location,
                             std::uint64_t bytes, std::string_view error) {
  switch (result) {
    case FileResult::Transferred:
      return std::string(verb) + " " + std::string(location) + " (" + format_bytes(bytes) + ")";
    case FileResult::Skipped:
      return "skipped " + std::string(location) + " (unchanged)";
    case FileResult::Deleted:
      return "deleted " + std::string(location);
    case FileResult::WouldDelete:
      return "would delete " + std::string(location);
    case FileResult::Unreadable:
      return "UNREADABLE " + std::string(location) + ": " + std::string(error);
    case FileResult::Failed:
      break;
  }
  return "FAILED " + std::string(location) + ": " + std::string(error);
}

std::string format_summary(const TransferSummary& s, std::string_view verb) {
  std::string text;
  if (s.interrupted) text += "interrupted: stopped after the transfers in flight\n";
  double rate = s.seconds > 0 ? static_cast<double>(s.bytes_sent) / s.seconds : 0;
  text += (s.dry_run ? "dry run, " : "") + std::string(verb) + ": " +
          printf_string("%zu %s, %zu skipped (unchanged), %zu failed", s.transferred,
                        s.transferred == 1 ? "file" : "files", s.skipped, s.failed);
  // Worded as the dry run words uploads ("would upload: ..."): nothing was deleted.
  if (s.deleted > 0) text += printf_string(s.dry_run ? ", would delete %zu" : ", %zu deleted", s.deleted);
  if (s.not_started > 0) text += printf_string(", %zu not sent", s.not_started);
  if (s.unreadable > 0)
    text += printf_string(", %zu unreadable (not sent, nothing under them deleted)", s.unreadable);
  text += "; " + format_bytes(s.bytes_sent) + " in " + format_duration(s.seconds) + " (" +
          format_bytes(static_cast<std::uint64_t>(rate)) + "/s)\n";
  if (!s.first_errors.empty()) {
    text += s.failed + s.unreadable > s.first_errors.size()
                ? printf_string("first %zu errors:\n", s.first_errors.size())
                : std::string("errors:\n");
    for (const auto& error : s.first_errors) text += "  " + error + "\n";
  }
  return text;
}

ProgressReporter::ProgressReporter(std::FILE* out, bool live, std::string verb)
    : out_(out), live_(live), verb_(std::move(verb)) {
  if (live_) {
    ticker_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        wake_.wait_for(lock, kRedrawInterval);
        if (!stopping_) render();
      }
    });
  }
}

ProgressReporter::~ProgressReporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ProgressReporter::set_totals(std::size_t files, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  files_total_ = files;
  bytes_total_ = bytes;
}

void ProgressReporter::add_bytes_sent(std::uint64_t bytes) {
  bytes_sent_ += bytes;
}

ProgressSnapshot ProgressReporter::snapshot() const {
  ProgressSnapshot s;
  s.files_done = files_done_;
  s.files_total = files_total_;
  s.bytes_sent = bytes_sent_.load();
  s.bytes_done = std::min(bytes_total_, s.bytes_sent + bytes_skipped_);
  s.bytes_total = bytes_total_;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

void ProgressReporter::render() {
  std::fprintf(out_, "\r%s\x1b[K", format_progress_line(snapshot(), 100).c_str());
  std::fflush(out_);
}

void ProgressReporter::print_line(const std::string& line) {
  if (live_) std::fputs("\r\x1b[K", out_);
  std::fprintf(out_, "%s\n", line.c_str());
  if (live_) render();
  std::fflush(out_);
}

void ProgressReporter::file_finished(FileResult result, const std::string& location, std::uint64_t bytes,
                                     const std::string& error) {
  std::lock_guard lock(mutex_);
  switch (result) {
    case FileResult::Transferred:
      ++summary_.transferred;
      break;
    case FileResult::Skipped:
      ++summary_.skipped;
      bytes_skipped_ += bytes;
      break;
    case FileResult::Failed:
      ++summary_.failed;
      if (summary_.first_errors.size() < kMaxListedErrors)
        summary_.first_errors.push_back(location + ": " + error);
      break;
    case FileResult::Unreadable:
      ++summary_.unreadable;
      if (summary_.first_errors.size() < kMaxListedErrors)
        summary_.first_errors.push_back(location + ": " + error);
      break;
    case FileResult::Deleted:
    case FileResult::WouldDelete:
      ++summary_.deleted;
      break;
  }
  if (result != FileResult::Deleted && result != FileResult::WouldDelete && result != FileResult::Unreadable)
    ++files_done_;
  // On a terminal only failures interrupt the live line; a log gets every file.
  if (!live_ || result == FileResult::Failed || result == FileResult::Unreadable)
    print_line(format_file_line(verb_, result, location, bytes, error));
}

void ProgressReporter::note(const std::string& line) {
  std::lock_guard lock(mutex_);
  print_line(line);
}

TransferSummary ProgressReporter::summary_so_far() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

void ProgressReporter::finish(TransferSummary summary) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (live_) {
      render();
      std::fputs("\n", out_);
    }
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  summary.bytes_sent = bytes_sent_.load();
  std::fputs(format_summary(summary, verb_).c_str(), out_);
  std::fflush(out_);
}

}  // namespace apex::sync
