// Session: one run of the CLI: the global flags, the login, and the calls
// to the API with their output (the API's JSON with --json, else what the
// command renders). Each command family registers itself on the CLI11 app
// (commands_*.cc) and acts through a Session.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/client.h"
#include "cli/config.h"

namespace CLI {
class App;
}

namespace latchkey::cli {

struct Globals {
  bool json = false;                // --json: the API's answer as it came
  std::string profile = "default";  // --profile / LATCHKEY_PROFILE
  bool yes = false;                 // --yes: no confirmation prompts
};

class Session {
 public:
  explicit Session(Globals& globals) : globals_(globals) {}

  const Globals& globals() const { return globals_; }
  // The client for the stored login; CliError (exit 3) when there is none.
  ApiClient& client();
  // A client for `login` instead of the stored one (login, status).
  void UseLogin(const Login& login);

  // One API call; its parsed answer (null for an empty body). An error
  // answer throws CliError: exit 3 for 401, else 1, with the API's code.
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const std::optional<nlohmann::json>& body = std::nullopt);
  // Call, then print: the raw answer with --json, else render(answer).
  // Returns the answer.
  nlohmann::json Show(const std::string& method, const std::string& path,
                      const std::optional<nlohmann::json>& body,
                      const std::function<void(const nlohmann::json&)>& render);
  // Every page of a list route ({"data": [...], "nextCursor"}), then
  // printed as Show does, as one page: {"data": all, "nextCursor": null}.
  nlohmann::json ShowList(const std::string& path,
                          const std::function<void(const nlohmann::json&)>& render);

 private:
  Globals& globals_;
  std::unique_ptr<ApiClient> client_;
  std::string last_body_;  // the raw answer of the last Call
};

// Each family's commands (cli/commands_*.cc).
void AddLoginCommands(CLI::App& app, Session& session);
void AddAccountCommands(CLI::App& app, Session& session);
void AddCertificateCommands(CLI::App& app, Session& session);
void AddCredentialCommands(CLI::App& app, Session& session);
void AddOAuthCommands(CLI::App& app, Session& session);
void AddAuditCommands(CLI::App& app, Session& session);
// Needs the whole tree: register last.
void AddCompletionCommand(CLI::App& app);

// "Done." style confirmation lines go to stderr, so stdout stays data.
void Note(const std::string& line);

}  // namespace latchkey::cli
