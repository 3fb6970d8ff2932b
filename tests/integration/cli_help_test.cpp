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

// Every usage mistake exits 2, the code of a bad setting, and says what was wrong; CLI11's
// own codes (105, 106, ...) are not what scripts expect.
struct UsageMistake {
  const char* arguments;
  const char* says;
};

TEST(CliHelp, UsageMistakesExitTwoAndNameTheMistake) {
  const UsageMistake mistakes[] = {
      {"", "subcommand is required"},
      {"frobnicate", "unknown command 'frobnicate' (commands: serve, tracks"},
      {"tracks --no-such-option", "--no-such-option"},
      {"laps", "TRACK is required"},
      {"serve --port 99999", "--port"},
      {"sample in out --keep 0/3", "--keep '0/3'"},
  };
  for (const auto& mistake : mistakes) {
    int code = -1;
    auto out = run_command(apex::test::apex_binary().string() + " " + mistake.arguments + " 2>&1", &code);
    EXPECT_EQ(code, 2) << mistake.arguments << ": " << out;
    EXPECT_NE(out.find(mistake.says), std::string::npos) << mistake.arguments << ": " << out;
  }
}

// Asking for what the data does not have is not a usage mistake: exit 1, naming what exists.
TEST(CliHelp, AnUnknownTrackOrSessionExitsOneListingWhatExists) {
  const std::string data = " --data-dir '" + (apex::test::source_dir() / "data").string() + "' 2>&1";
  int code = -1;
  auto out = run_command(apex::test::apex_binary().string() + " laps barber R1" + data, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("track 'barber' not found (tracks: barber-motorsports-park, sonoma-raceway)"),
            std::string::npos)
      << out;
  out = run_command(apex::test::apex_binary().string() + " laps sonoma-raceway R9" + data, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("session 'R9' not found for sonoma-raceway (sessions: R1, R2)"), std::string::npos)
      << out;
  out = run_command(apex::test::apex_binary().string() + " sessions nowhere" + data, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("(tracks: barber-motorsports-park, sonoma-raceway)"), std::string::npos) << out;
}

TEST(CliHelp, EveryCommandsHelpSucceeds) {
  for (const char* command : {"serve", "tracks", "sessions", "laps", "ls", "demo-data", "upload", "download",
                              "inspect", "sample"}) {
    int code = -1;
    auto out = run_command(apex::test::apex_binary().string() + " " + command + " --help 2>&1", &code);
    EXPECT_EQ(code, 0) << command << ": " << out;
    EXPECT_NE(out.find("Usage:"), std::string::npos) << command << ": " << out;
  }
}

}  // namespace
