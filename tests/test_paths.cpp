#include "test_paths.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace apex::test {

std::filesystem::path source_dir() {
  const char* dir = std::getenv("APEX_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

std::filesystem::path apex_binary() {
  const char* bin = std::getenv("APEX_BINARY");
  return bin ? std::filesystem::path(bin) : source_dir() / "build" / "apex";
}

namespace {
// The test report says which tests ran on the real data (tests/tools/test_summary.py counts
// them, and the run fails where the data exists and none did).
std::filesystem::path record_shared_data_use(std::filesystem::path dir) {
  if (::testing::UnitTest::GetInstance()->current_test_info() != nullptr)
    ::testing::Test::RecordProperty("shared_data", "used");
  return dir;
}
}  // namespace

std::optional<std::filesystem::path> shared_dir() {
  if (const char* env = std::getenv("APEX_SHARED_DIR")) return record_shared_data_use(env);
  auto candidate = source_dir().parent_path() / "shared";
  if (std::filesystem::is_directory(candidate / "data")) return record_shared_data_use(candidate);
  return std::nullopt;
}

std::optional<std::filesystem::path> shared_gr_cup_dir() {
  auto shared = shared_dir();
  if (!shared) return std::nullopt;
  auto dir = *shared / "data" / "gr-cup";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

}  // namespace apex::test
