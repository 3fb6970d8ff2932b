// The ECU times of one telemetry series in four bytes a sample instead of eight.
//
// Telemetry is almost all samples (11-25 million rows a race), so the width of a time is
// most of the model's memory: an int64 per sample made a sample 12 bytes with its float
// value, this makes it 8. A series spans one session (an hour or two, ECU clock offsets
// shift the whole series, not its span), so its times are stored as unsigned offsets from
// the first one. Should a series ever span more than 2^32 ms (49.7 days) or receive a time
// before its first, it falls back to plain int64 times for that series: the contract
// (exact int64 milliseconds) holds whatever the data.
//
// Reads look like a std::vector<std::int64_t> of values: size(), operator[], front(),
// back() and random-access iterators that yield int64 by value, so std::lower_bound and
// friends work unchanged. Not thread-safe for writes; concurrent reads are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace apex {

class TimeColumn {
 public:
  TimeColumn() = default;
  explicit TimeColumn(std::span<const std::int64_t> times) { assign(times); }

  std::size_t size() const { return wide_ ? wide_times_.size() : offsets_.size(); }
  bool empty() const { return size() == 0; }
  std::int64_t operator[](std::size_t i) const { return wide_ ? wide_times_[i] : base_ + offsets_[i]; }
  std::int64_t front() const { return (*this)[0]; }
  std::int64_t back() const { return (*this)[size() - 1]; }

  void reserve(std::size_t n) { wide_ ? wide_times_.reserve(n) : offsets_.reserve(n); }
  void push_back(std::int64_t t) {
    if (!wide_) {
      if (offsets_.empty()) base_ = t;
      if (t >= base_ && static_cast<std::uint64_t>(t - base_) <= kMaxOffset) {
        offsets_.push_back(static_cast<std::uint32_t>(t - base_));
        return;
      }
      widen();
    }
    wide_times_.push_back(t);
  }
  void assign(std::span<const std::int64_t> times) {
    clear();
    reserve(times.size());
    for (std::int64_t t : times) push_back(t);
  }
  // Takes offsets already known to fit (from base, any order the caller guarantees):
  // the parser's sorted path builds them in one pass instead of push_back's checks.
  void assign_offsets(std::int64_t base, std::vector<std::uint32_t> offsets) {
    clear();
    base_ = base;
    offsets_ = std::move(offsets);
  }
  void clear() {
    offsets_.clear();
    wide_times_.clear();
    wide_ = false;
    base_ = 0;
  }
  void shrink_to_fit() { wide_ ? wide_times_.shrink_to_fit() : offsets_.shrink_to_fit(); }
  // Heap bytes held (capacity, not size).
  std::size_t memory_bytes() const {
    return offsets_.capacity() * sizeof(std::uint32_t) + wide_times_.capacity() * sizeof(std::int64_t);
  }
  // True when this series fell back to eight bytes a time (see the file comment).
  bool is_wide() const { return wide_; }

  bool operator==(const TimeColumn& other) const {
    if (size() != other.size()) return false;
    for (std::size_t i = 0; i < size(); ++i)
      if ((*this)[i] != other[i]) return false;
    return true;
  }

  friend bool operator==(const TimeColumn& column, const std::vector<std::int64_t>& times) {
    if (column.size() != times.size()) return false;
    for (std::size_t i = 0; i < times.size(); ++i)
      if (column[i] != times[i]) return false;
    return true;
  }

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = std::int64_t;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::int64_t;

    const_iterator() = default;
    const_iterator(const TimeColumn* column, std::size_t index) : column_(column), index_(index) {}

    std::int64_t operator*() const { return (*column_)[index_]; }
    std::int64_t operator[](difference_type n) const { return (*column_)[advanced(n)]; }
    const_iterator& operator++() { return ++index_, *this; }
    const_iterator operator++(int) { return {column_, index_++}; }
    const_iterator& operator--() { return --index_, *this; }
    const_iterator operator--(int) { return {column_, index_--}; }
    const_iterator& operator+=(difference_type n) { return index_ = advanced(n), *this; }
    const_iterator& operator-=(difference_type n) { return index_ = advanced(-n), *this; }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.index_ == b.index_; }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) {
      return a.index_ <=> b.index_;
    }

   private:
    std::size_t advanced(difference_type n) const {
      return static_cast<std::size_t>(static_cast<difference_type>(index_) + n);
    }
    const TimeColumn* column_ = nullptr;
    std::size_t index_ = 0;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

 private:
  static constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::uint32_t>::max();

  void widen() {
    wide_times_.reserve(offsets_.capacity());
    for (std::uint32_t offset : offsets_) wide_times_.push_back(base_ + offset);
    std::vector<std::uint32_t>().swap(offsets_);
    wide_ = true;
  }

  bool wide_ = false;
  std::int64_t base_ = 0;
  std::vector<std::uint32_t> offsets_;    // while !wide_
  std::vector<std::int64_t> wide_times_;  // once wide_
};

}  // namespace apex
