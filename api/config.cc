#include "api/config.h"

#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <concepts>
#include <cstdlib>
#include <iostream>
#include <map>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "api/config_flags.h"
#include "api/params.h"
#include "common/hosts.h"
#include "common/strings.h"
#include "services/proxy/address_policy.h"

namespace latchkey {

Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("--listen must be HOST:PORT, got '" + text + "'");
  }
  std::string h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto p = ParseInt64(text.substr(colon + 1));
  if (!p || *p < 0 || *p > 65535) {
    return InvalidArgument("--listen port must be 0-65535, got '" + text.substr(colon + 1) + "'");
  }
  *host = h;
  *port = static_cast<uint16_t>(*p);
  return Status::Ok();
}

namespace {

using config_internal::Flag;
using config_internal::FormatNumber;
using config_internal::ListenAddress;
using config_internal::OutOfRange;
using config_internal::RangeText;
using config_internal::Section;

constexpr std::string_view kLogLevelNames[] = {"debug", "info", "warn", "error"};

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// A member's value as a flag's text: the default shown and parsed back.
std::string ShowValue(const std::string& v) { return v; }
std::string ShowValue(bool v) { return v ? "true" : "false"; }
std::string ShowValue(int v) { return std::to_string(v); }
std::string ShowValue(size_t v) { return std::to_string(v); }
std::string ShowValue(double v) { return FormatNumber(v); }
std::string ShowValue(LogLevel v) { return std::string(kLogLevelNames[static_cast<int>(v)]); }
template <class Rep, class Period>
std::string ShowValue(std::chrono::duration<Rep, Period> v) {
  return std::to_string(v.count());
}
std::string ShowValue(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& item : v) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string ShowFlag(const Flag& flag, const Config& config) {
  return std::visit(
      [&](auto member) -> std::string {
        if constexpr (std::is_same_v<decltype(member), ListenAddress>) {
          bool v6 = config.host.find(':') != std::string::npos;
          return (v6 ? "[" + config.host + "]" : config.host) + ":" + std::to_string(config.port);
        } else {
          return ShowValue(config.*member);
        }
      },
      flag.field);
}

// Parses `text` into *out, or says what the flag accepts.
template <std::integral T>
Status StoreValue(const Flag& flag, const std::string& text, T* out) {
  auto v = ParseInt64(text);
  if (!v || *v < flag.range.min || *v > flag.range.max) return OutOfRange(flag);
  *out = static_cast<T>(*v);
  return Status::Ok();
}
template <class Rep, class Period>
Status StoreValue(const Flag& flag, const std::string& text,
                  std::chrono::duration<Rep, Period>* out) {
  Rep count = 0;
  RETURN_IF_ERROR(StoreValue(flag, text, &count));
  *out = std::chrono::duration<Rep, Period>(count);
  return Status::Ok();
}
Status StoreValue(const Flag& flag, const std::string& text, double* out) {
  double v = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !(v >= flag.range.min && v <= flag.range.max)) {
    return OutOfRange(flag);
  }
  *out = v;
  return Status::Ok();
}
Status StoreValue(const Flag& flag, const std::string& text, LogLevel* out) {
  if (!ParseLogLevel(text, out)) return OutOfRange(flag);
  return Status::Ok();
}
// A switch: given alone it is "true"; it also takes =true/=false, and its
// environment variable 1/0 and yes/no.
Status StoreValue(const Flag& flag, const std::string& text, bool* out) {
  if (text == "true" || text == "1" || text == "yes") {
    *out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    *out = false;
  } else {
    return OutOfRange(flag);
  }
  return Status::Ok();
}
Status StoreValue(const Flag&, const std::string& text, std::string* out) {
  *out = text;
  return Status::Ok();
}
// The one list flag, --proxy-allow-http, holds hosts.
Status StoreValue(const Flag& flag, const std::string& text, std::vector<std::string>* out) {
  out->clear();
  for (std::string_view host : SplitList(text)) {
    auto normal = NormalizeHost(host);
    if (!normal) {
      return InvalidArgument(std::string(flag.name) + ": '" + std::string(host) +
                             "' is not a host");
    }
    out->push_back(*normal);
  }
  return Status::Ok();
}

Status StoreFlag(const Flag& flag, const std::string& text, Config* config) {
  RETURN_IF_ERROR(std::visit(
      [&](auto member) -> Status {
        if constexpr (std::is_same_v<decltype(member), ListenAddress>) {
          return ParseListen(text, &config->host, &config->port);
        } else {
          return StoreValue(flag, text, &(config->*member));
        }
      },
      flag.field));
  return flag.check == nullptr ? Status::Ok() : flag.check(flag, config);
}

// Flag name -> its text: the default until CLI11 stores the flag's or its
// environment variable's value. A map, so the strings CLI11 binds stay put.
using FlagTexts = std::map<std::string_view, std::string>;

void RegisterFlags(const Config& defaults, CLI::App* app, FlagTexts* texts) {
  for (const Section& section : config_internal::Sections()) {
    for (const Flag& flag : section.flags) {
      std::string& text = (*texts)[flag.name] = ShowFlag(flag, defaults);
      std::string help(flag.help);
      if (std::string range = RangeText(flag); !range.empty()) help += " (" + range + ")";
      bool is_switch = std::holds_alternative<bool Config::*>(flag.field);
      CLI::Option* option = is_switch ? app->add_flag(std::string(flag.name), text, help)
                                      : app->add_option(std::string(flag.name), text, help);
      option->envname(std::string(flag.env))
          ->type_name(std::string(flag.arg))
          ->default_str(text)
          ->group(std::string(section.title));
    }
  }
}

Status StoreFlags(const FlagTexts& texts, Config* config) {
  for (const Section& section : config_internal::Sections()) {
    for (const Flag& flag : section.flags) {
      RETURN_IF_ERROR(StoreFlag(flag, texts.at(flag.name), config));
    }
  }
  return Status::Ok();
}

// CLI11's own failures (unknown flag, missing value) as one line; --help
// prints usage. Either way the caller stops with *exit_code.
Status RunParser(CLI::App& app, int argc, char** argv, int* exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    *exit_code = app.exit(e);
    return InvalidArgument("");
  } catch (const CLI::CallForVersion& e) {
    *exit_code = app.exit(e);
    return InvalidArgument("");
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    return InvalidArgument(what);
  }
  return Status::Ok();
}

std::string ReferenceRow(const Flag& flag, const Config& defaults) {
  std::string value = ShowFlag(flag, defaults);
  std::string shown =
      value.empty() ? std::string(flag.none.empty() ? "none" : flag.none) : "`" + value + "`";
  std::string meaning = std::string(flag.help) + ".";
  if (!flag.details.empty()) meaning += " " + std::string(flag.details);
  std::string usage(flag.name);
  if (!flag.arg.empty()) usage += " " + std::string(flag.arg);
  return "| `" + usage + "` | `" + std::string(flag.env) + "` | " + shown + " | " +
         RangeText(flag) + " | " + meaning + " |\n";
}

// A wildcard --listen address is not one clients can use: issuer and
// redirect URIs built from it would publish http://0.0.0.0:8080.
Status CheckPublicUrlIsRoutable(const Config& config) {
  in6_addr v6{};
  in_addr v4{};
  bool wildcard =
      config.host.empty() ||
      (inet_pton(AF_INET, config.host.c_str(), &v4) == 1 && v4.s_addr == 0) ||
      (inet_pton(AF_INET6, config.host.c_str(), &v6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&v6));
  if (!wildcard || !config.public_url.empty() || config.command != Config::Command::kServe) {
    return Status::Ok();
  }
  return InvalidArgument("--listen " + config.host +
                         " binds every address, so the public URL cannot be derived from it: set "
                         "--public-url to the URL clients use (issuer and OAuth redirect URIs are "
                         "built from it)");
}

}  // namespace

std::string ConfigReference() {
  const Config defaults;
  std::string out;
  for (const Section& section : config_internal::Sections()) {
    if (!out.empty()) out += "\n";
    out += "## " + std::string(section.title) + "\n\n";
    out += "| flag | env | default | accepts | meaning |\n|---|---|---|---|---|\n";
    for (const Flag& flag : section.flags) out += ReferenceRow(flag, defaults);
  }
  return out;
}

Result<Config> ParseConfig(int argc, char** argv, int* exit_code) {
  *exit_code = 2;
  Config config;
  CLI::App app{"latchkeyd: PKI and OAuth credential authority for AI agents and backends"};
  FlagTexts texts;
  RegisterFlags(config, &app, &texts);
  bool print_reference = false;
  app.add_flag("--print-config-reference", print_reference,
               "Print the flags as Markdown (docs/configuration.md) and exit");
  app.set_version_flag("--version", std::string("latchkeyd ") + LATCHKEY_VERSION);
  app.fallthrough();  // `latchkeyd admin-key rotate --data-dir D` takes the server's flags
  app.require_subcommand(0, 1);
  auto* rewrap = app.add_subcommand(
      "rewrap", "Re-wrap every account data key under the active master key, then exit");
  auto* admin_key = app.add_subcommand("admin-key", "Manage the stored admin key, then exit");
  admin_key->require_subcommand(1);
  auto* rotate = admin_key->add_subcommand(
      "rotate",
      "Print a new admin key once and retire the old one (running servers take it up within "
      "--maintenance-interval)");
  auto* backup = app.add_subcommand(
      "backup", "Copy the SQLite database to FILE, consistent while servers run, then exit");
  backup->add_option("FILE", config.command_file, "Where to write the copy (must not exist)")
      ->required();
  auto* restore = app.add_subcommand(
      "restore",
      "Copy a backup into --data-dir (which must hold no database), migrate it and check that "
      "its data keys open and its audit chains verify, then exit");
  restore->add_option("FILE", config.command_file, "A file written by latchkeyd backup")
      ->required();
  auto* dev = app.add_subcommand(
      "dev",
      "A throwaway server on loopback with fake OAuth providers and an echo upstream, set up and "
      "ready to try (data removed at exit)");
  dev->footer(
      "Server flags (--listen, --log-level, ...) apply, before or after `dev`. Dev mode sets the "
      "data dir, public URL, providers file and proxy allowances itself, and refuses "
      "--database-url, --metrics-listen, those flags and non-loopback --listen.\n"
      "Example: latchkeyd dev --listen 127.0.0.1:8080   (make dev)");
  RETURN_IF_ERROR(RunParser(app, argc, argv, exit_code));
  if (print_reference) {
    std::cout << ConfigReference();
    *exit_code = 0;
    return InvalidArgument("");
  }
  if (rewrap->parsed()) config.command = Config::Command::kRewrap;
  if (rotate->parsed()) config.command = Config::Command::kRotateAdminKey;
  if (backup->parsed()) config.command = Config::Command::kBackup;
  if (restore->parsed()) config.command = Config::Command::kRestore;
  if (dev->parsed()) config.command = Config::Command::kDev;
  RETURN_IF_ERROR(StoreFlags(texts, &config));
  RETURN_IF_ERROR(CheckPublicUrlIsRoutable(config));
  config.master_keys = Env("LATCHKEY_MASTER_KEYS");
  config.admin_key = Env("LATCHKEY_ADMIN_KEY");
  *exit_code = 0;
  return config;
}

}  // namespace latchkey
