// `wisp SUBCOMMAND --config FILE`: the subcommand's long options, one per line, in a file.
#pragma once

#include <CLI/CLI.hpp>

namespace wisp::tool {

// Adds --config FILE to the `wisp` program, for whichever subcommand runs (`cli` lets its
// options come after the subcommand's name). The file holds `name = value` lines, `name` being a
// long option of the command without its dashes (`port = 8080`, `tls-cert = /etc/wisp/cert.pem`);
// `#` starts a comment line; a value may be put in double quotes; a flag takes true or false. The
// command line wins over the file. A line that is not `name = value`, an unknown name or a name
// given twice is refused with the file's name, the line's number and the reason.
void add_config_option(CLI::App& cli);

}  // namespace wisp::tool
