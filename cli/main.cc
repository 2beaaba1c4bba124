// latchkey: the command-line client of latchkeyd (docs/cli.md).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/config.h"
#include "cli/session.h"

using latchkey::cli::CliError;

int main(int argc, char** argv) {
  CLI::App app{"latchkey: drive a Latchkey server (certificates, credentials, OAuth, audit)"};
  app.set_version_flag("--version", std::string("latchkey ") + LATCHKEY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("Example: latchkey login --url http://127.0.0.1:8080\nDocs: docs/cli.md");
  latchkey::cli::Globals globals;
  if (const char* profile = std::getenv("LATCHKEY_PROFILE"); profile && *profile) {
    globals.profile = profile;
  }
  app.add_flag("--json", globals.json, "Print the API's JSON answer exactly as it came");
  app.add_option("--profile", globals.profile, "Which stored login to use")->capture_default_str();
  app.add_flag("-y,--yes", globals.yes, "Do not ask before deleting or revoking");
  latchkey::cli::Session session(globals);
  latchkey::cli::AddLoginCommands(app, session);
  latchkey::cli::AddAccountCommands(app, session);
  latchkey::cli::AddCertificateCommands(app, session);
  latchkey::cli::AddCredentialCommands(app, session);
  latchkey::cli::AddOAuthCommands(app, session);
  latchkey::cli::AddAuditCommands(app, session);
  latchkey::cli::AddCompletionCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: USAGE: " << e.what() << " (see latchkey --help)\n";
    return latchkey::cli::kExitUsage;
  } catch (const CliError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {  // an answer not shaped as documented
    std::cerr << "error: UNEXPECTED: " << e.what() << "\n";
    return latchkey::cli::kExitApi;
  }
  return 0;
}
