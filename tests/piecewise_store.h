// A MemoryStore that reads as a network store does: several ranged reads worth running at
// once, every read handed to its sink in small pieces, with hooks a test can use to fail
// or hold up a read. Used by the parallel read tests, the telemetry parser's tests and its
// fuzz target, to cut objects into ranges and pieces of any size.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/memory_store.h"

namespace apex::test {

class PiecewiseStore final : public ObjectStore {
 public:
  explicit PiecewiseStore(unsigned parallel_reads = 3, std::size_t piece_bytes = 100)
      : parallel_reads_(parallel_reads), piece_bytes_(piece_bytes) {}

  Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) override {
    return inner.list(prefix, delimiter);
  }
  Result<ObjectInfo> stat(std::string_view key) override { return inner.stat(key); }
  Status read(std::string_view key, ByteRange range, const ByteSink& sink) override {
    ++reads;
    if (range.length) ++ranged_reads;
    if (on_read)
      if (auto hook = on_read(range); !hook) return hook;
    return inner.read(key, range, [&](std::string_view bytes) -> Status {
      for (std::size_t at = 0; at < bytes.size();) {
        const std::size_t n = piece_size ? piece_size(range, at) : piece_bytes_;
        const std::string_view piece = bytes.substr(at, n == 0 ? 1 : n);
        if (on_bytes)
          if (auto hook = on_bytes(range, range.offset + at, piece.size()); !hook) return hook;
        if (auto ok = sink(piece); !ok) return ok;
        at += piece.size();
      }
      return {};
    });
  }
  Status write(std::string_view key, const ByteSource& source) override { return inner.write(key, source); }
  Status remove(std::string_view key) override { return inner.remove(key); }
  std::string describe() const override { return "piecewise test store"; }
  unsigned parallel_reads() const override { return parallel_reads_; }

  MemoryStore inner;
  // Called before each read: (range read). An error fails the read.
  std::function<Status(const ByteRange&)> on_read;
  // Called before each piece goes to its sink: (range read, offset, length).
  std::function<Status(const ByteRange&, std::uint64_t, std::size_t)> on_bytes;
  // The size of the piece at `at` bytes into a read; unset: piece_bytes every time.
  std::function<std::size_t(const ByteRange&, std::size_t at)> piece_size;
  std::atomic<int> reads{0};
  std::atomic<int> ranged_reads{0};

 private:
  unsigned parallel_reads_;
  std::size_t piece_bytes_;
};

}  // namespace apex::test
