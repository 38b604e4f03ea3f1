// A move-only callable of no arguments (std::function needs copies; deferred answers and
// upgrades move only), as App::offload carries work between threads: App's own (private, as its
// offload templates need it inline), reached by the engine through this friend.
#pragma once

#include "wisp/app.hpp"

namespace wisp::detail {

struct AppAccess {
  using Job = App::Job;
};
using Job = AppAccess::Job;

}  // namespace wisp::detail
