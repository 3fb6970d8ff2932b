// apex: the command-line entry point. Each subcommand lives in its own file under cli/.
#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"APEX: Toyota GR Cup race data to lap analytics"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
