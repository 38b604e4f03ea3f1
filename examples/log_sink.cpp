// Taking wisp's logs: a sink of the application's own keeps the last records in memory (served
// as JSON at GET /logs, e.g. for an admin page) and still writes each one to stderr as a JSON
// line, with wisp's own formatter. The level is debug, so HTTP access lines are kept too.
//
//   example_log_sink [port]      then ws://127.0.0.1:PORT/echo and http://127.0.0.1:PORT/logs
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "wisp/wisp.hpp"

// The last `capacity` records, as JSON objects. The sink runs on whichever thread logged, one
// call at a time; GET /logs reads from a loop thread: the mutex covers both.
class RecentLogs {
 public:
  explicit RecentLogs(std::size_t capacity) : capacity_(capacity) {}

  void add(const wisp::LogRecord& record) {
    nlohmann::json entry = {
        {"level", wisp::to_string(record.level)}, {"event", record.event}, {"msg", record.message}};
    for (const wisp::LogField& field : record.fields) entry[std::string(field.name)] = field.value;
    std::lock_guard lock(mutex_);
    if (records_.size() == capacity_) records_.pop_front();
    records_.push_back(std::move(entry));
  }

  std::string json() const {
    std::lock_guard lock(mutex_);
    return nlohmann::json(records_).dump();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<nlohmann::json> records_;
};

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  static RecentLogs recent(100);  // outlives the App: wisp may log until run() returns
  wisp::set_log_level(wisp::LogLevel::debug);
  wisp::set_log_sink([](const wisp::LogRecord& record) {
    recent.add(record);
    std::cerr << wisp::format_log_record(record, wisp::LogFormat::json) << '\n';
  });

  wisp::App app;
  app.ws("/echo", {.message = [](wisp::WebSocket& ws, std::string_view message, wisp::OpCode op) {
           ws.send(message, op);
         }});
  app.get("/logs", [](wisp::Request&, wisp::Response& res) { res.json(recent.json()); });
  app.listen("127.0.0.1", port);
  wisp::log_event(wisp::LogLevel::info, "app.start", "the log example is up", {{"logs", "/logs"}});
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
  wisp::set_log_sink({});  // back to wisp's default before `recent` goes
}
