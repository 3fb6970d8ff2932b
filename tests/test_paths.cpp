#include "test_paths.h"

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

std::optional<std::filesystem::path> shared_dir() {
  if (const char* env = std::getenv("APEX_SHARED_DIR")) return std::filesystem::path(env);
  auto candidate = source_dir().parent_path() / "shared";
  if (std::filesystem::is_directory(candidate / "data")) return candidate;
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
