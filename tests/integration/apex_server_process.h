// Starts `apex serve` as a real process on a free loopback port for end-to-end
// tests, and stops it (SIGTERM) when the object goes away.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_io.h"
#include "test_paths.h"

extern char** environ;

namespace apex::test {

class ApexServerProcess {
 public:
  explicit ApexServerProcess(const std::filesystem::path& data_dir, std::vector<std::string> extra_env = {},
                             const std::vector<std::string>& setpriv_options = {}) {
    log_path_ = std::filesystem::temp_directory_path() /
                ("apex-serve-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + ".log");
    std::vector<std::string> args = {apex_binary().string(), "serve",  "--data-dir",
                                     data_dir.string(),      "--port", "0"};
    std::vector<std::string> env_storage;
    for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
    for (auto& e : extra_env) env_storage.push_back(e);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_ = spawn_tied_child(args, env_storage, &actions, setpriv_options);
    posix_spawn_file_actions_destroy(&actions);
    // The server prints "serving ... on http://HOST:PORT" once it listens.
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::string text = log();
      // " on ": an S3 endpoint logged earlier may be on loopback too.
      const std::string marker = " on http://127.0.0.1:";
      auto at = text.find(marker);
      if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + marker.size());
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
    }
  }
  ~ApexServerProcess() {
    if (!exited_) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::filesystem::remove(log_path_);
  }
  int port() const { return port_; }
  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Sends SIGTERM and waits; returns the exit code.
  int terminate() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = 0;
};

}  // namespace apex::test
