// Reading what must never be a command-line argument (secret values), and
// asking before destructive work.
#pragma once

#include <string>
#include <vector>

namespace latchkey::cli {

// One value per label: from prompts without echo when stdin is a terminal,
// else from stdin (one value: all of it; several: one line each), without
// the trailing newline. Throws CliError (usage) for a missing or empty one.
std::vector<std::string> ReadSecrets(const std::vector<std::string>& labels);
std::string ReadSecret(const std::string& label);

// True to go ahead: `yes`, or "y" typed at a terminal. Without a terminal
// and without `yes`, throws CliError (usage) asking for --yes.
bool Confirm(const std::string& question, bool yes);

// All of stdin, as it came.
std::string ReadStdin();

// Whether stdout / stderr is a terminal.
bool StdoutIsTerminal();
bool StderrIsTerminal();

}  // namespace latchkey::cli
