#include "broker/commands.hpp"

#include <exception>
#include <stdexcept>

namespace wisp::broker {
namespace {

template <class Table, class Entry>
void add_to(Table& table, std::string kind, Entry entry) {
  if (table.contains(kind)) throw std::logic_error("wisp: broker kind \"" + kind + "\" taken");
  table.emplace(std::move(kind), std::move(entry));
}

}  // namespace

void CommandTable::add_command(std::string kind, Command command) {
  add_to(commands_, std::move(kind), std::move(command));
}

void CommandTable::add_question(std::string kind, Question question) {
  add_to(questions_, std::move(kind), std::move(question));
}

void CommandTable::run(std::string_view kind, std::string_view payload) {
  const auto found = commands_.find(kind);
  bool used = false;
  try {
    used = found != commands_.end() && found->second(payload);
  } catch (const std::exception&) {  // e.g. a text message that is not UTF-8
  }
  if (!used) count_malformed();
}

std::string CommandTable::answer(std::string_view kind, std::string_view payload) {
  const auto found = questions_.find(kind);
  std::optional<std::string> answer;
  try {
    if (found != questions_.end()) answer = found->second(payload);
  } catch (const std::exception&) {
  }
  if (!answer) count_malformed();
  return answer.value_or(std::string());
}

}  // namespace wisp::broker
