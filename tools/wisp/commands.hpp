// The `wisp` program's subcommands. Each adds itself to the command line and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace wisp::tool {

// A subcommand added to the command line, and what runs it (after parsing) for an exit status.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_serve_command(CLI::App& cli);
Command add_bench_command(CLI::App& cli);
Command add_call_command(CLI::App& cli);
Command add_client_command(CLI::App& cli);

}  // namespace wisp::tool
