// A move-only callable of no arguments (std::function needs copies; deferred answers and
// upgrades move only), as App::offload carries work between threads.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp::detail {

class Job {
 public:
  template <class F>
  requires(!std::is_same_v<F, Job>) explicit Job(F f)
      : impl_(std::make_unique<Impl<F>>(std::move(f))) {}
  void operator()() { impl_->run(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void run() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F f) : f(std::move(f)) {}
    void run() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace wisp::detail

#pragma GCC visibility pop
