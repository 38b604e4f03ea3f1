// wisp: a C++20 real-time WebSocket server framework. Include this header for all of it.
#pragma once

#include "wisp/app.hpp"
#include "wisp/channel.hpp"
#include "wisp/client.hpp"
#include "wisp/http.hpp"
#include "wisp/hub.hpp"
#include "wisp/job.hpp"
#include "wisp/metrics.hpp"
#include "wisp/middleware.hpp"
#include "wisp/opcode.hpp"
#include "wisp/session.hpp"
#include "wisp/settings.hpp"
#include "wisp/socketio.hpp"
#include "wisp/task.hpp"
#include "wisp/timer.hpp"
#include "wisp/upgrade.hpp"
#include "wisp/websocket.hpp"
