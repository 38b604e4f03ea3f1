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
// `compressed`: RSV1 set, the payload being permessage-deflate data.
void append_masked_frame(std::string& out, OpCode op, std::string_view payload,
                         bool compressed = false);

// One masked frame of `payload` deflated on its own (RSV1) with a window of `window_bits`: valid
// whether or not the sender may keep context, so a mode compresses its few payloads once.
std::string compressed_frame(OpCode op, std::string_view payload, int window_bits);

// `size` lowercase letters: valid UTF-8 in text frames and safe in a JSON string. Variants 0-3
// differ at every byte, so a lost or reordered message cannot pass for the one expected.
std::string test_payload(std::size_t size, std::size_t variant);

// `size` bytes of JSON like a feed's (an array of records: ids, names, prices, timestamps,
// flags), space-padded to the size: compressible about as much as real traffic. Variants differ.
std::string json_payload(std::size_t size, std::size_t variant);

}  // namespace wisp::tool::bench
