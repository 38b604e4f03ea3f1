#include "broker/answers.hpp"

#include <iterator>

#include "broker/payload.hpp"

namespace wisp::broker {

std::size_t sum_of(const std::vector<std::string>& answers, CommandTable& table) {
  std::size_t total = 0;
  for (const std::string& answer : answers) {
    PayloadReader in(answer);
    const std::uint64_t count = in.number();
    if (in.done())
      total += count;
    else
      table.count_malformed();
  }
  return total;
}

std::vector<std::string> all_of(const std::vector<std::string>& answers, CommandTable& table) {
  std::vector<std::string> all;
  for (const std::string& answer : answers) {
    PayloadReader in(answer);
    std::vector<std::string> some = in.texts();
    if (!in.done()) {
      table.count_malformed();
      continue;
    }
    all.insert(all.end(), std::make_move_iterator(some.begin()),
               std::make_move_iterator(some.end()));
  }
  return all;
}

}  // namespace wisp::broker
