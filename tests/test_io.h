// Reading a file whole and running a shell command, as several tests do.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace apex::test {

// The file's bytes; empty when it cannot be read (the test's own assertions then fail).
std::string read_file(const std::filesystem::path& path);

// Runs command through the shell to completion; returns its stdout and stores its exit
// status (-1 when it did not exit normally). Add " 2>&1" to the command for stderr too.
std::string run_command(const std::string& command, int* exit_code);

// Starts argv (argv[0] looked up in PATH) with exactly the environment `env` and the file
// actions `actions`, as a child the kernel kills when the thread that started it ends, the
// test process crashing or killed included (setpriv --pdeathsig from util-linux, which every
// Debian has), so a failed run never leaves servers behind. `setpriv_options` go to setpriv
// as well (kWithoutFileAccessOverride). Returns its pid, or -1.
pid_t spawn_tied_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const posix_spawn_file_actions_t* actions,
                       const std::vector<std::string>& setpriv_options = {});

// setpriv options that take away root's right to read and search any file, so a test running
// as root meets "Permission denied" on a mode-000 file as any other user would.
inline const std::vector<std::string> kWithoutFileAccessOverride = {"--bounding-set",
                                                                    "-dac_override,-dac_read_search"};

}  // namespace apex::test
