// The `wisp` program: `wisp serve` runs the demo server, `wisp bench` measures, `wisp call`
// calls a service action over Redis, `wisp client` talks to a WebSocket server from a terminal.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config_file.hpp"
#include "wisp/version.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"wisp: a real-time WebSocket server framework"};
  cli.set_version_flag("--version", "wisp " + std::string(wisp::version));
  cli.require_subcommand(1);
  const std::vector<wisp::tool::Command> commands = {
      wisp::tool::add_serve_command(cli),
      wisp::tool::add_bench_command(cli),
      wisp::tool::add_call_command(cli),
      wisp::tool::add_client_command(cli),
  };
  wisp::tool::add_config_option(cli);
  CLI11_PARSE(cli, argc, argv);
  try {
    for (const auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const std::exception& error) {
    std::cerr << "wisp: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
