#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_paths.h"

namespace {

std::string run(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  *exit_code = WEXITSTATUS(::pclose(pipe));
  return out;
}

TEST(CliHelp, PrintsUsage) {
  int code = -1;
  auto out = run(apex::test::apex_binary().string() + " --help", &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("APEX"), std::string::npos);
}

}  // namespace
