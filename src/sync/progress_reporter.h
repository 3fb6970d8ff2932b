// What `apex upload` and `apex download` tell the user while they run. On a terminal: one
// live line (bar, files done/total, bytes, rate, ETA) redrawn in place, with failures
// printed above it. Without one: a line per finished file, for logs. Both end with the
// same summary. The format_* functions are pure so the wording can be tested.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace apex::sync {

struct ProgressSnapshot {
  std::size_t files_done = 0;  // finished: sent, skipped or failed
  std::size_t files_total = 0;
  std::uint64_t bytes_done = 0;  // of bytes_total: sent plus skipped
  std::uint64_t bytes_total = 0;
  std::uint64_t bytes_sent = 0;  // actually transferred, for the rate
  double seconds = 0;
};

// WouldDelete: what --delete would remove in a dry run (counted in `deleted`, nothing removed).
// Unreadable: a local path upload could not read (location is the path on disk); it is not
// sent, its objects are not deleted, and the run does not count as a success.
enum class FileResult { Transferred, Skipped, Failed, Deleted, WouldDelete, Unreadable };

struct TransferSummary {
  std::size_t transferred = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
  std::size_t deleted = 0;      // in a dry run: would be deleted
  std::size_t not_started = 0;  // not sent (or cut short) because of an interruption
  std::size_t unreadable = 0;   // local paths that could not be read (upload)
  std::uint64_t bytes_sent = 0;
  double seconds = 0;
  bool interrupted = false;
  bool dry_run = false;
  std::vector<std::string> first_errors;  // "key: reason", at most a few
};

// "0 B", "999 B", "1.5 KiB", "12.3 MiB", "1.20 GiB"
std::string format_bytes(std::uint64_t bytes);
// "0.4s", "12s", "3m05s", "1h02m"
std::string format_duration(double seconds);
// "[#########...........]  12/200 files  45.2 MiB/190.0 MiB  23.1 MiB/s  ETA 6s", cut to width.
std::string format_progress_line(const ProgressSnapshot& snapshot, std::size_t width);
// "uploaded data/x.csv (1.0 MiB)", "skipped ...", "deleted ...", "would delete ...", "FAILED ...: reason",
// "UNREADABLE path: reason"
std::string format_file_line(std::string_view verb, FileResult result, std::string_view location,
                             std::uint64_t bytes, std::string_view error);
// Multi-line summary; verb is "uploaded" or "downloaded".
std::string format_summary(const TransferSummary& summary, std::string_view verb);

class ProgressReporter {
 public:
  // live: redraw one line on out (a terminal) several times a second.
  ProgressReporter(std::FILE* out, bool live, std::string verb);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void set_totals(std::size_t files, std::uint64_t bytes);
  void add_bytes_sent(std::uint64_t bytes);
  void file_finished(FileResult result, const std::string& location, std::uint64_t bytes,
                     const std::string& error = {});
  // A one-off line (a warning), printed above the live line.
  void note(const std::string& line);
  // Stops the live line and prints the summary.
  void finish(TransferSummary summary);
  TransferSummary summary_so_far() const;

 private:
  ProgressSnapshot snapshot() const;
  void print_line(const std::string& line);
  void render();

  std::FILE* out_;
  bool live_;
  std::string verb_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;
  TransferSummary summary_;
  std::size_t files_total_ = 0;
  std::uint64_t bytes_total_ = 0;
  std::uint64_t bytes_skipped_ = 0;
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::size_t files_done_ = 0;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread ticker_;
};

}  // namespace apex::sync
