// The commands and questions a node takes from the broker (Node::command, Node::answer), by kind.
// The engine and each hub add theirs before the app runs; from then the table is only read, with
// no lock, from any thread. A payload comes from another node: a handler that cannot decode it
// (or throws) has it counted as malformed and ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wisp::broker {

class CommandTable {
 public:
  // False: the payload could not be decoded.
  using Command = std::function<bool(std::string_view payload)>;
  // The answer; nullopt: the payload could not be decoded.
  using Question = std::function<std::optional<std::string>(std::string_view payload)>;

  // Throws std::logic_error for a kind already added.
  void add_command(std::string kind, Command command);
  void add_question(std::string kind, Question question);

  // Runs the command / answers the question; an unknown kind or a bad payload is counted.
  void run(std::string_view kind, std::string_view payload);
  std::string answer(std::string_view kind, std::string_view payload);

  // Something from another node that could not be used (an unknown kind, a payload or an
  // answer that did not decode); any thread.
  void count_malformed() { malformed_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t malformed() const { return malformed_.load(std::memory_order_relaxed); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class T>
  using Table = std::unordered_map<std::string, T, Hash, std::equal_to<>>;
  Table<Command> commands_;
  Table<Question> questions_;
  std::atomic<std::uint64_t> malformed_ = 0;
};

}  // namespace wisp::broker
