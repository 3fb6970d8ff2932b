// The command line as a user meets it: help, usage mistakes and their exit codes, what is
// said when the data lacks what was asked, and the warnings of `apex laps`.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "apex_server_process.h"
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

// --version prints the CMake project version and exits 0 (there was no such option); the
// API's `/` and OpenAPI document say the same version (they had a constant of their own).
TEST(CliHelp, VersionPrintsTheProjectVersion) {
  int code = -1;
  auto out = run_command(apex::test::apex_binary().string() + " --version 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  std::smatch version;
  ASSERT_TRUE(std::regex_match(out, version, std::regex(R"(apex (\d+\.\d+\.\d+)\n)"))) << out;
  apex::test::ApexServerProcess server(apex::test::source_dir() / "data");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  auto root = client.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(nlohmann::json::parse(root->body).at("version"), version[1].str());
  auto openapi = client.Get("/openapi.json");
  ASSERT_TRUE(openapi);
  EXPECT_EQ(nlohmann::json::parse(openapi->body).at("info").at("version"), version[1].str());
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

// download takes [PREFIX] DIR: help and errors name them (they said "ARGS(1x)" and "ARGS: At
// Most 2 required but received 3").
TEST(CliHelp, DownloadNamesItsArguments) {
  int code = -1;
  const std::string apex = apex::test::apex_binary().string();
  auto help = run_command(apex + " download --help 2>&1", &code);
  EXPECT_EQ(code, 0) << help;
  EXPECT_NE(help.find("download [OPTIONS] [PREFIX] DIR\n"), std::string::npos) << help;
  EXPECT_LT(help.find("  PREFIX "), help.find("  DIR ")) << "listed in the order they are typed\n" << help;
  EXPECT_EQ(help.find("ARGS"), std::string::npos) << help;
  auto three = run_command(apex + " download a b c 2>&1", &code);
  EXPECT_EQ(code, 2) << three;
  EXPECT_NE(three.find("The following argument was not expected: c"), std::string::npos) << three;
  EXPECT_EQ(three.find("ARGS"), std::string::npos) << three;
  auto none = run_command(apex + " download 2>&1", &code);
  EXPECT_EQ(code, 2) << none;
  EXPECT_NE(none.find("DIR is required"), std::string::npos) << none;
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
  out =
      run_command(apex::test::apex_binary().string() + " laps sonoma-raceway R1 --driver 999" + data, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("driver '999' not found in sonoma-raceway R1 \\(drivers: "
                                                "(GR86-[0-9]+-[0-9]+, ){2,}GR86-[0-9]+-[0-9]+; or a car "
                                                "number, car-<number>\\)\n")))
      << out;
  out = run_command(apex::test::apex_binary().string() + " sessions nowhere" + data, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("(tracks: barber-motorsports-park, sonoma-raceway)"), std::string::npos) << out;
}

// A row the parser skipped changes the table, so `apex laps` names the file, the count and
// the reason with its line rather than printing a lap fewer and nothing else.
TEST(CliLaps, SkippedRowsAreNamedOnStderr) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("apex-cli-laps-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy(apex::test::source_dir() / "data" / "sonoma-raceway", root / "sonoma-raceway",
           fs::copy_options::recursive);
  const fs::path sections = root / "sonoma-raceway" / "Sonoma" / "Race 1" /
                            "23_AnalysisEnduranceWithSections_Race 1_Anonymized.CSV";
  std::string bytes = apex::test::read_file(sections);
  // The second data row (line 3): its LAP_TIME, the 4th field of the semicolon file, becomes text.
  std::size_t at = bytes.find('\n', bytes.find('\n') + 1) + 1;
  for (int field = 0; field < 3; ++field) at = bytes.find(';', at) + 1;
  bytes.replace(at, bytes.find(';', at) - at, "abc");
  std::ofstream(sections, std::ios::binary | std::ios::trunc) << bytes;
  int code = -1;
  const std::string out =
      run_command(apex::test::apex_binary().string() + " laps sonoma-raceway R1 --data-dir '" +
                      root.string() + "' 2>&1 >/dev/null",
                  &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("23_AnalysisEnduranceWithSections_Race 1_Anonymized.CSV: 1 of "), std::string::npos)
      << out;
  EXPECT_NE(out.find("line 3: LAP_TIME is not a time: 'abc'"), std::string::npos) << out;
  fs::remove_all(root);
}

// A file given as the data folder exists: the message says what it is, not that it is missing.
TEST(CliHelp, ADataDirThatIsAFileIsSaidToBeNoFolder) {
  std::string file = std::filesystem::temp_directory_path().string();
  file += "/apex-data-dir-is-a-file-";
  file += std::to_string(::getpid());
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  // ls says it as tracks does: a setting to fix, exit 2 (it exited 1).
  for (const char* command : {" tracks", " ls", " serve --port 0"}) {
    std::string line = apex::test::apex_binary().string();
    line += command;
    line += " --data-dir '";
    line += file;
    line += "' 2>&1";
    int code = -1;
    auto out = run_command(line, &code);
    EXPECT_EQ(code, 2) << command << ": " << out;
    std::string says = "data folder '";
    says += file;
    says += "' is not a folder; set DATA_DIR or pass --data-dir";
    EXPECT_NE(out.find(says), std::string::npos) << command << ": " << out;
  }
  std::remove(file.c_str());
  int code = -1;
  auto out = run_command(apex::test::apex_binary().string() + " tracks --data-dir /nonexistent-apex-dir 2>&1",
                         &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("data folder '/nonexistent-apex-dir' does not exist"), std::string::npos) << out;
}

namespace fs = std::filesystem;

fs::path one_track_folder(const std::string& name) {
  const fs::path root = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy(apex::test::source_dir() / "data" / "sonoma-raceway", root / "sonoma-raceway",
           fs::copy_options::recursive);
  return root;
}

// `env ENV apex serve --data-dir ROOT ARGS`, waited for until it says where it listens (at
// most 20 s), then stopped with SIGTERM: its log, and its exit code in *code.
std::string serve_log(const fs::path& root, const std::string& env, const std::string& args, int* code) {
  const fs::path log = root / "serve.log";
  run_command("cd '" + root.string() + "' && (env -u USE_S3_DATA -u PORT " + env + " '" +
                  apex::test::apex_binary().string() + "' serve --data-dir '" + root.string() + "' " + args +
                  " >'" + log.string() + "' 2>&1 & pid=$!; for i in $(seq 200); do grep -q ' on http://' '" +
                  log.string() +
                  "' && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill $pid; wait $pid)",
              code);
  return apex::test::read_file(log);
}

// PORT=0 asks for any free port, as --port 0 does (it was refused, exit 2), and the log
// names the port it got.
TEST(CliServe, PortZeroFromTheEnvironmentListensOnAFreePortAndSaysWhich) {
  const fs::path root = one_track_folder("apex-port-zero");
  int code = -1;
  const std::string text = serve_log(root, "PORT=0", "", &code);
  EXPECT_EQ(code, 0) << text;
  const std::regex listening(R"(serving local folder .* on http://127\.0\.0\.1:(\d+)\n)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, listening)) << text;
  EXPECT_GT(std::stoi(m[1]), 0) << text;
  fs::remove_all(root);
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

// Counts in messages and logs are in good English: the serve log said "1 tracks", ls
// "1 objects".
TEST(CliServe, CountsAreInGoodEnglish) {
  const fs::path root = one_track_folder("apex-counts");
  int code = -1;
  const std::string log = serve_log(root, "", "--port 0", &code);
  EXPECT_EQ(code, 0) << log;
  EXPECT_NE(log.find("apex: 1 track in local folder "), std::string::npos) << log;
  EXPECT_EQ(log.find("1 tracks"), std::string::npos) << log;
  const auto out = run_command(apex::test::apex_binary().string() +
                                   " ls 'sonoma-raceway/Sonoma/Race 1/sonoma_lap_time' --data-dir '" +
                                   root.string() + "' 2>&1 >/dev/null",
                               &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("apex: 1 object, "), std::string::npos) << out;
  fs::remove_all(root);
}

}  // namespace
