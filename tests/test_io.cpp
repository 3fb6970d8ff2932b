#include "test_io.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace apex::test {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string run_command(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    *exit_code = -1;
    return out;
  }
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

pid_t spawn_tied_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const posix_spawn_file_actions_t* actions,
                       const std::vector<std::string>& setpriv_options) {
  std::vector<std::string> args = {"setpriv", "--pdeathsig", "KILL"};
  args.insert(args.end(), setpriv_options.begin(), setpriv_options.end());
  args.push_back("--");
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> arg_pointers, env_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (auto& entry : env_copy) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, "setpriv", actions, nullptr, arg_pointers.data(), env_pointers.data()) != 0)
    return -1;
  return pid;
}

}  // namespace apex::test
