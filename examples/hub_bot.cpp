// A service that is a client of a wisp hub: a chat bot for `wisp serve`'s chat rooms, on
// wisp::HubClient. It registers, joins a room, and answers "!echo TEXT" and "!time" there. When
// the server goes away it reconnects with backoff and the client registers and joins again by
// itself; the bot only reports what happens.
//
//   example_hub_bot URL [ROOM]        e.g. example_hub_bot ws://127.0.0.1:8080/ws lobby
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <string>

#include "wisp/wisp.hpp"

namespace {

using wisp::json;

// The bot's answer to a chat line, or "" for lines that are not for it.
std::string answer_to(const std::string& text) {
  if (text.starts_with("!echo ")) return text.substr(6);
  if (text == "!time") return std::to_string(std::time(nullptr));
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws";
  const std::string room = argc > 2 ? argv[2] : "lobby";
  // SIGTERM and SIGINT are taken by sigwait below: blocked first, in every thread made after.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  wisp::HubClientSettings settings;
  settings.connection.reconnect.initial_delay = std::chrono::milliseconds(100);
  settings.connection.reconnect.max_delay = std::chrono::seconds(2);
  wisp::HubClient bot(settings);  // not on a loop thread: it runs a loop thread of its own

  bot.on("new_message", [&](wisp::HubMessage& m) {
    const std::string reply = answer_to(m.data.value("text", ""));
    if (!reply.empty()) bot.send("chat_message", {{"room", room}, {"message", reply}});
  });
  bot.on_state([](const wisp::HubStateChange& change) {
    if (change.state == wisp::HubClientState::open) {
      std::cout << (change.reconnected ? "reconnected" : "connected") << std::endl;
    } else if (change.state == wisp::HubClientState::reconnecting) {
      std::cout << "connection lost (" << change.code << "), attempt " << change.attempt << " in "
                << change.delay.count() << " ms" << std::endl;
    } else if (change.state == wisp::HubClientState::closed) {
      std::cout << "closed: " << change.code << " " << change.reason << std::endl;
      kill(getpid(), SIGTERM);  // main's sigwait ends the program
    }
  });
  bot.connect(url);
  // Sent once; after a reconnect the client sends the register and the join again itself.
  bot.send("register", {{"username", "bot"}});
  bot.request("join_room", {{"room", room}}, [room](wisp::HubResponse r) {
    if (r.ok())
      std::cout << "joined " << room << std::endl;
    else
      std::cerr << "join refused: " << r.error << " " << r.message << std::endl;
  });

  int signal = 0;
  sigwait(&stop_signals, &signal);
  bot.close(wisp::close_code::going_away, "bot stopping");
}
