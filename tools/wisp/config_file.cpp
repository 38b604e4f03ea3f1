#include "config_file.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace wisp::tool {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::string unquoted(const std::string& value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    return value.substr(1, value.size() - 2);
  return value;
}

// CLI11's reader for the file: checks every line against the chosen subcommand's options, so a
// mistake is reported where it is (CLI11's own reader names neither the line nor the file).
class ConfigReader final : public CLI::Config {
 public:
  explicit ConfigReader(const CLI::App& cli) : cli_(cli) {}

  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return {}; }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    const CLI::App& command = *cli_.get_subcommands().at(0);  // parsed: require_subcommand(1)
    std::vector<CLI::ConfigItem> items;
    std::map<std::string, int> seen;  // name -> its line
    std::string line;
    for (int number = 1; std::getline(input, line); ++number) {
      line = trimmed(line);
      if (line.empty() || line.front() == '#') continue;
      const auto equals = line.find('=');
      if (equals == std::string::npos) fail(number, "expected `name = value`, got `" + line + "`");
      const std::string name = trimmed(line.substr(0, equals));
      const CLI::Option* option = command.get_option_no_throw("--" + name);
      if (name.empty() || option == nullptr || name == "config" || name == "help")
        fail(number,
             "unknown option `" + name + "` (wisp " + command.get_name() + " --help lists them)");
      if (auto [at, fresh] = seen.emplace(name, number); !fresh)
        fail(number, "`" + name + "` is already set on line " + std::to_string(at->second));
      CLI::ConfigItem item;
      item.parents = {command.get_name()};
      item.name = name;
      item.inputs = {unquoted(trimmed(line.substr(equals + 1)))};
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& reason) const {
    const std::string file = cli_.get_option("--config")->as<std::string>();
    throw CLI::ConfigError(file + ":" + std::to_string(line) + ": " + reason);
  }

  const CLI::App& cli_;
};

}  // namespace

void add_config_option(CLI::App& cli) {
  cli.set_config("--config", "", "Read the subcommand's options from this file (`name = value`)");
  cli.config_formatter(std::make_shared<ConfigReader>(cli));
  // `wisp serve --config FILE`, not only `wisp --config FILE serve`.
  for (CLI::App* command : cli.get_subcommands({})) command->fallthrough();
}

}  // namespace wisp::tool
