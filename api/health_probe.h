// The health checks' prober: each test is a GET made through the proxy
// (same host rules, address checks and audit as any proxied call), waited
// for up to a deadline on the calling (background) thread.
#pragma once

#include <chrono>

#include "services/events/health.h"
#include "services/proxy/proxy.h"

namespace latchkey {

// `proxy` must outlive the prober's use.
Prober ProxyProber(ProxyService& proxy,
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(15000));

}  // namespace latchkey
