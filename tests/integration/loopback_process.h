// Starts a real server (s3rver, moto) as a child process on a loopback port for the
// integration tests, and stops it again. Each test suite owns its servers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test_io.h"  // run_command, read_file

namespace apex::test {

// A port that was free a moment ago on 127.0.0.1.
int free_loopback_port();

class LoopbackProcess {
 public:
  // Runs argv[0] (looked up in PATH) with extra environment variables; stdout and stderr
  // go to log_file.
  LoopbackProcess(std::vector<std::string> argv, std::map<std::string, std::string> extra_env,
                  std::filesystem::path log_file);
  // SIGTERM, then SIGKILL if it has not exited after a grace period.
  ~LoopbackProcess();
  LoopbackProcess(const LoopbackProcess&) = delete;
  LoopbackProcess& operator=(const LoopbackProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // Waits until something accepts connections on port; false (with a reason in *why) when
  // the process exited or the timeout passed first.
  bool wait_for_port(int port, std::chrono::milliseconds timeout, std::string* why);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::filesystem::path log_file_;
};

}  // namespace apex::test
