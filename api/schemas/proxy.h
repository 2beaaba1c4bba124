// JSON Schemas of the proxy route (routes_proxy.cc).
#pragma once

namespace latchkey::schemas {

inline constexpr char kProxiedResponse[] = R"({"description":"the upstream's response, streamed"})";

}  // namespace latchkey::schemas
