#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_io.h"
#include "test_paths.h"

namespace {

using apex::test::run_command;

TEST(CliHelp, PrintsUsage) {
  int code = -1;
  auto out = run_command(apex::test::apex_binary().string() + " --help 2>&1", &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("APEX"), std::string::npos);
}

}  // namespace
