// Runs work(0) .. work(count - 1) on up to `jobs` threads (the caller's among them), each
// taking the next index; once cancel is set no new index starts.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace apex::sync {

template <typename Work>
void run_parallel(int jobs, std::size_t count, const std::atomic<bool>& cancel, Work&& work) {
  std::atomic<std::size_t> next{0};
  auto loop = [&] {
    while (!cancel.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      work(i);
    }
  };
  std::vector<std::jthread> pool;
  const auto threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(jobs, 1)), count);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(loop);
  loop();
}

}  // namespace apex::sync
