// Client frames, built with wisp's frame writer and masking.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "wisp/opcode.hpp"

namespace wisp::tool::bench {

// Appends one final frame of `op` carrying `payload`, masked as a client must. The key is fixed:
// nothing here guards against cache poisoning (what random keys are for, RFC 6455 §10.3), and a
// fixed key lets modes mask their frames once at start-up and send them as they are.
void append_masked_frame(std::string& out, OpCode op, std::string_view payload);

// `size` lowercase letters: valid UTF-8 in text frames and safe in a JSON string. Variants 0-3
// differ at every byte, so a lost or reordered message cannot pass for the one expected.
std::string test_payload(std::size_t size, std::size_t variant);

}  // namespace wisp::tool::bench
