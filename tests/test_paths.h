// Where tests find the project, the built binary and the shared real race data.
#pragma once

#include <filesystem>
#include <optional>

namespace apex::test {

std::filesystem::path source_dir();
std::filesystem::path apex_binary();
// ../shared/data/gr-cup when it exists (our machines), nullopt in a user's clone.
std::optional<std::filesystem::path> shared_gr_cup_dir();
std::optional<std::filesystem::path> shared_dir();

}  // namespace apex::test

// Skips the current test cleanly when the real data set is absent.
#define APEX_REQUIRE_SHARED_DATA(var)                                           \
  auto var##_opt = ::apex::test::shared_gr_cup_dir();                           \
  if (!var##_opt) GTEST_SKIP() << "../shared/data/gr-cup not present: skipped"; \
  const std::filesystem::path var = *var##_opt
