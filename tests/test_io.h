// Reading a file whole and running a shell command, as several tests do.
#pragma once

#include <filesystem>
#include <string>

namespace apex::test {

// The file's bytes; empty when it cannot be read (the test's own assertions then fail).
std::string read_file(const std::filesystem::path& path);

// Runs command through the shell to completion; returns its stdout and stores its exit
// status (-1 when it did not exit normally). Add " 2>&1" to the command for stderr too.
std::string run_command(const std::string& command, int* exit_code);

}  // namespace apex::test
