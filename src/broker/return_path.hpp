// How an asynchronous answer (a gather's, a send's outcome) reaches whoever asked: back on the
// loop thread that asked, or, when no loop thread asked, wherever the answer arrives (the
// broker's loop; the local broker answers at once, on the calling thread). Implemented by the
// engine, so that events/ can answer on the right thread without knowing the loops.
#pragma once

#include <functional>
#include <utility>

namespace wisp::broker {

class ReturnPath {
 public:
  using Runner = std::function<void(std::function<void()>)>;
  // Called on the asking thread: a runner that runs a task back there (at once when it is
  // already there; posted otherwise, and dropped if that loop has ended). A task that throws is
  // reported on stderr.
  virtual Runner to_caller() const = 0;

 protected:
  ~ReturnPath() = default;
};

// `done`, wrapped to run where `path` says (an empty `done`: a function that does nothing).
template <class... Args>
std::function<void(Args...)> answer_to_caller(const ReturnPath& path,
                                              std::function<void(Args...)> done) {
  if (!done) return [](Args...) {};
  return [back = path.to_caller(), done = std::move(done)](Args... args) {
    back([done, ... args = std::move(args)]() mutable { done(std::move(args)...); });
  };
}

}  // namespace wisp::broker
