// `latchkeyd dev`, like `vault server -dev`: a throwaway server that runs the
// three jobs offline. Its data lives in a new temporary directory (removed
// when it stops); the five built-in OAuth providers are played by
// DevProviders on latchkeyd itself; /dev/echo answers with what reached it,
// as an upstream for the proxy; and once serving it creates an account, its
// key, an agent key, registrations with the dev providers and an `echo`
// secret, through the public API, then prints what to try. It is never on
// by accident: only the `dev` subcommand turns it on; it makes its own data
// dir, public URL, providers file, admin key and master key, so it refuses
// the flags (or LATCHKEY_* variables) for those, --database-url,
// --metrics-listen and any --listen address but IPv4 loopback; and every
// start line and /healthz say DEV MODE.
#pragma once

#include <string>

#include "api/config.h"
#include "api/dev_providers.h"
#include "api/router.h"

namespace latchkey {

// Turns `config` into dev mode's (see above): InvalidArgument naming a
// refused flag; Unavailable when no temporary directory can be made.
Status PrepareDevConfig(Config* config);

// The fake providers' routes, /dev/echo and /dev/connected (where the dev
// account's OAuth flows end).
void AddDevRoutes(Router& router, DevProviders& providers);

// Sets up the dev account through the API at `base` with the admin key,
// then prints the keys and what to try. Internal (with the failing call's
// answer) when a step fails.
Status BootstrapDev(const std::string& base, const std::string& admin_key,
                    const std::string& data_dir);

// `latchkeyd dev`: prepare, serve until SIGTERM/SIGINT, remove the data.
int RunDev(Config config);

}  // namespace latchkey
