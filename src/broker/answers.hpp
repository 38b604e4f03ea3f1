// Merging what the nodes answered to a question (each answer written with PayloadWriter): an
// answer that does not decode is counted as malformed in `table` and left out.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "broker/commands.hpp"

namespace wisp::broker {

// Each answer a number: their sum.
std::size_t sum_of(const std::vector<std::string>& answers, CommandTable& table);
// Each answer a list of texts: all of them, in the order of the answers.
std::vector<std::string> all_of(const std::vector<std::string>& answers, CommandTable& table);

}  // namespace wisp::broker
