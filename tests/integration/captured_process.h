// Runs the apex binary with an exact environment (nothing inherited that configures it)
// in a folder of its own, with stdout and stderr captured together, for tests that look
// at everything a command prints: the secret-leak checks, API_TOKEN and shutdown tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_io.h"
#include "test_paths.h"

extern char** environ;

namespace apex::test {

// The process environment without anything apex reads as configuration, plus `extra`.
inline std::vector<std::string> clean_environment(const std::map<std::string, std::string>& extra) {
  static const char* kPrefixes[] = {"AWS_",  "S3_",   "USE_S3",       "API_TOKEN",    "DATA_DIR",
                                    "HOST=", "PORT=", "CACHE_MAX_MB", "CORS_ORIGINS", "WEB_DIR"};
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    bool drop = false;
    for (const char* prefix : kPrefixes) drop = drop || entry.starts_with(prefix);
    if (!drop) out.push_back(entry);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

// A child process running apex with stdout and stderr in one file.
class CapturedProcess {
 public:
  CapturedProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::filesystem::path& work_dir) {
    std::filesystem::create_directories(work_dir);
    log_path_ = work_dir / ("apex-output-" + std::to_string(counter()++) + ".log");
    std::vector<std::string> argv_storage = {apex_binary().string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    auto env_storage = clean_environment(env);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // A folder without a .env, so only `env` configures the run.
    posix_spawn_file_actions_addchdir_np(&actions, work_dir.c_str());
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_ = spawn_tied_child(argv_storage, env_storage, &actions);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~CapturedProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  CapturedProcess(const CapturedProcess&) = delete;
  CapturedProcess& operator=(const CapturedProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string output() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // The exit code once the process ended by itself within `timeout`; -1 for a signal,
  // nullopt when it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_code_;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The port of `apex serve --port 0`, read from its "serving ... on http://HOST:PORT" line.
  int wait_for_port(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string marker = " on http://127.0.0.1:";
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = output();
      if (auto at = text.find(marker); at != std::string::npos)
        return std::atoi(text.c_str() + at + marker.size());
      if (wait(std::chrono::milliseconds(0))) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A TCP connection to 127.0.0.1 for requests httplib's client would not send as written
// (raw targets, partial requests); -1 when nothing listens.
inline int connect_loopback(int port, const char* from_address = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (from_address) {  // another address of 127.0.0.0/8: another client, as the server sees it
    sockaddr_in source{};
    source.sin_family = AF_INET;
    ::inet_pton(AF_INET, from_address, &source.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the peer closes the connection or `timeout` passes.
inline std::string read_until_closed(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (closed) *closed = false;
  while (true) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// One request on a fresh connection, written exactly as given ("Connection: close" added),
// and the whole answer.
inline std::string raw_request(int port, const std::string& method, const std::string& target,
                               const std::string& headers = "") {
  int fd = connect_loopback(port);
  if (fd < 0) return "";
  send_all(
      fd, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n");
  std::string answer = read_until_closed(fd, std::chrono::seconds(10));
  ::close(fd);
  return answer;
}

// "HTTP/1.1 400 Bad Request" -> 400; 0 when there is no status line.
inline int status_of(const std::string& answer) {
  if (!answer.starts_with("HTTP/1.")) return 0;
  return std::atoi(answer.c_str() + 9);
}

inline std::string body_of(const std::string& answer) {
  auto at = answer.find("\r\n\r\n");
  return at == std::string::npos ? "" : answer.substr(at + 4);
}

}  // namespace apex::test
