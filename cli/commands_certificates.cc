// latchkey certs … (signing keys) and tokens … (JWTs signed with them).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>

#include "cli/output.h"
#include "cli/prompt.h"
#include "cli/session.h"

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

void PrintCertificates(const json& list) {
  Table t({"ID", "KID", "NAME", "ALG", "CUSTODY", "STATUS", "EXPIRES", "CREATED"});
  for (const auto& c : list) {
    t.Add({Cell(c["id"]), Cell(c["kid"]), Cell(c["name"]), Cell(c["algorithm"]), Cell(c["custody"]),
           Cell(c["status"]), RelativeTime(c["expiresAt"]), RelativeTime(c["createdAt"])});
  }
  t.Print();
}

// The private key's file, created owner-only before the key exists (never
// over an existing file or through a link), so a key is never made that
// cannot be kept.
int CreateKeyFile(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw CliError(kExitUsage, "cannot create " + path + " (it must not exist yet)");
  return fd;
}

void WritePrivateKey(int fd, const std::string& path, const std::string& pem) {
  bool ok = write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  ok = close(fd) == 0 && ok;
  if (!ok) throw CliError(kExitApi, "cannot write " + path + "; the key is lost, revoke it");
}

struct NewCert {
  std::string name;
  bool managed = false;
  std::string algorithm = "RS256";
  std::string out;
};

void AddCreate(CLI::App& certs, Session& session) {
  auto* create = certs.add_subcommand("create", "Create a key pair");
  create->footer(
      "Examples:\n  latchkey certs create --name signer --managed       # Latchkey signs with it\n"
      "  latchkey certs create --name edge --alg ES256 --out edge.pem   # you keep the key");
  auto c = std::make_shared<NewCert>();
  create->add_option("--name", c->name, "What the key is for")->required();
  create->add_flag("--managed", c->managed, "Keep the private key sealed in Latchkey");
  create->add_option("--alg", c->algorithm, "RS256 or ES256")
      ->check(CLI::IsMember({"RS256", "ES256"}))
      ->capture_default_str();
  create->add_option("--out", c->out, "Write the private key here (mode 0600); not with --managed");
  create->callback([&session, c] {
    if (c->managed && !c->out.empty()) throw CliError(kExitUsage, "--out is for exported keys");
    json body = {{"name", c->name},
                 {"algorithm", c->algorithm},
                 {"custody", c->managed ? "managed" : "exported"}};
    int fd = c->out.empty() ? -1 : CreateKeyFile(c->out);
    bool progress = StderrIsTerminal() && !session.globals().json;
    if (progress) std::cerr << "Generating a " << c->algorithm << " key pair…" << std::flush;
    json cert;
    try {
      cert = session.Call("POST", "/certificates", body);
    } catch (...) {
      if (fd >= 0) {
        close(fd);
        unlink(c->out.c_str());
      }
      throw;
    }
    if (progress) std::cerr << "\r\033[K" << std::flush;
    std::string pem = cert.value("privateKey", "");
    if (fd >= 0) WritePrivateKey(fd, c->out, pem);
    if (session.globals().json) {
      if (!c->out.empty()) cert.erase("privateKey");  // it is in the file
      std::cout << cert.dump() << "\n";
      return;
    }
    Note("Created " + Cell(cert["id"]) + " (kid " + Cell(cert["kid"]) + ", " +
         Cell(cert["custody"]) + ").");
    if (!c->out.empty()) {
      Note("Private key written to " + c->out + ".");
    } else if (!pem.empty()) {
      Note("The private key follows; it is not stored anywhere, keep it:");
      std::cout << pem;
    }
  });
}

void AddById(CLI::App& certs, Session& session) {
  auto id = std::make_shared<std::string>();
  auto* show = certs.add_subcommand("show", "Show one key pair");
  show->footer("Example: latchkey certs show cert_…");
  show->add_option("id", *id, "Certificate id")->required();
  show->callback([&session, id] {
    session.Show("GET", "/certificates/" + UrlEncode(*id), std::nullopt,
                 [](const json& c) { PrintCertificates(json::array({c})); });
  });
  auto* revoke = certs.add_subcommand("revoke", "Revoke at once: out of the JWKS, no more signing");
  revoke->footer("Example: latchkey certs revoke cert_… --yes");
  revoke->add_option("id", *id, "Certificate id")->required();
  revoke->callback([&session, id] {
    if (!Confirm("Revoke " + *id + "? This is final.", session.globals().yes)) return;
    session.Show("POST", "/certificates/" + UrlEncode(*id) + "/revoke", std::nullopt,
                 [&](const json&) { std::cout << "Revoked " << *id << ".\n"; });
  });
  auto* del = certs.add_subcommand("delete", "Delete a revoked or expired key pair");
  del->footer("Example: latchkey certs delete cert_… --yes");
  del->add_option("id", *id, "Certificate id")->required();
  del->callback([&session, id] {
    if (!Confirm("Delete " + *id + "?", session.globals().yes)) return;
    session.Show("DELETE", "/certificates/" + UrlEncode(*id), std::nullopt,
                 [&](const json&) { std::cout << "Deleted " << *id << ".\n"; });
  });
}

void AddPolicy(CLI::App& certs, Session& session) {
  auto* policy = certs.add_subcommand("policy", "The automatic rotation policy");
  policy->require_subcommand(1);
  policy->footer("Example: latchkey certs policy set --period 30d --overlap 1d");
  auto* set = policy->add_subcommand("set", "Rotate managed keys on a schedule");
  set->footer("Example: latchkey certs policy set --period 30d --overlap 1d --alg ES256");
  auto period = std::make_shared<std::string>();
  auto overlap = std::make_shared<std::string>();
  auto alg = std::make_shared<std::string>();
  set->add_option("--period", *period, "How often: 30d, 720h…")->required();
  set->add_option("--overlap", *overlap, "How long the old key stays published")->required();
  set->add_option("--alg", *alg, "RS256 or ES256")->check(CLI::IsMember({"RS256", "ES256"}));
  auto render = [](const json& p) {
    Table t({"PERIOD", "OVERLAP", "ALG", "NEXT ROTATION"});
    t.Add({Cell(p["rotationPeriod"]) + "s", Cell(p["overlap"]) + "s", Cell(p["algorithm"]),
           RelativeTime(p["nextRotationAt"])});
    t.Print();
  };
  set->callback([&session, period, overlap, alg, render] {
    long long p = ParseDuration(*period), o = ParseDuration(*overlap);
    if (p < 0 || o < 0) throw CliError(kExitUsage, "durations look like 30s, 10m, 12h or 30d");
    json body = {{"rotationPeriod", p}, {"overlap", o}};
    if (!alg->empty()) body["algorithm"] = *alg;
    session.Show("PUT", "/certificates/rotation-policy", body, render);
  });
  auto* show = policy->add_subcommand("show", "Show the rotation policy");
  show->footer("Example: latchkey certs policy show");
  show->callback([&session, render] {
    session.Show("GET", "/certificates/rotation-policy", std::nullopt, render);
  });
}

void AddCerts(CLI::App& app, Session& session) {
  auto* certs = app.add_subcommand("certs", "Signing key pairs, their JWKS, rotation");
  certs->require_subcommand(1);
  certs->footer("Example: latchkey certs create --name signer --managed");
  AddCreate(*certs, session);
  auto* list = certs->add_subcommand("list", "List key pairs, newest first");
  list->footer("Example: latchkey certs list");
  list->callback([&session] {
    session.ShowList("/certificates", [](const json& a) { PrintCertificates(a["data"]); });
  });
  AddById(*certs, session);
  auto* rotate = certs->add_subcommand("rotate", "Make a new managed key now");
  rotate->footer("Example: latchkey certs rotate");
  rotate->callback([&session] {
    session.Show("POST", "/certificates/rotate", json::object(),
                 [](const json& c) { PrintCertificates(json::array({c})); });
  });
  AddPolicy(*certs, session);
}

struct SignArgs {
  std::vector<std::string> claims;
  std::vector<std::string> audience;
  std::string subject;
  std::string ttl;
};

// "k=v": v as JSON when it reads as a number, true/false/null, an object or
// an array; else as a string.
json ClaimsOf(const std::vector<std::string>& pairs) {
  json claims = json::object();
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CliError(kExitUsage, "--claim takes key=value, not '" + pair + "'");
    }
    std::string value = pair.substr(eq + 1);
    json parsed = json::parse(value, nullptr, false);
    claims[pair.substr(0, eq)] = parsed.is_discarded() || parsed.is_string() ? json(value) : parsed;
  }
  return claims;
}

void AddTokens(CLI::App& app, Session& session) {
  auto* tokens = app.add_subcommand("tokens", "JWTs signed with the managed key");
  tokens->require_subcommand(1);
  tokens->footer("Example: latchkey tokens sign --sub agent-7 --ttl 10m");
  auto* sign = tokens->add_subcommand("sign", "Sign a JWT; prints it");
  sign->footer(
      "Example: latchkey tokens sign --sub agent-7 --aud billing --claim role=reader --ttl 10m");
  auto a = std::make_shared<SignArgs>();
  sign->add_option("--claim", a->claims, "A claim key=value (repeat for more)");
  sign->add_option("--aud", a->audience, "Audience (repeat for more)");
  sign->add_option("--sub", a->subject, "Subject");
  sign->add_option("--ttl", a->ttl, "Lifetime: 30s, 10m, 1h…");
  sign->callback([&session, a] {
    json body = json::object();
    if (!a->claims.empty()) body["claims"] = ClaimsOf(a->claims);
    if (a->audience.size() == 1) body["audience"] = a->audience.front();
    if (a->audience.size() > 1) body["audience"] = a->audience;
    if (!a->subject.empty()) body["subject"] = a->subject;
    if (!a->ttl.empty()) {
      long long ttl = ParseDuration(a->ttl);
      if (ttl <= 0) throw CliError(kExitUsage, "--ttl looks like 30s, 10m, 1h");
      body["expiresIn"] = ttl;
    }
    session.Show("POST", "/tokens", body,
                 [](const json& t) { std::cout << Cell(t["token"]) << "\n"; });
  });
  auto* verify = tokens->add_subcommand("verify", "Verify a JWT: exit 0 valid, 1 invalid");
  verify->footer("Example: latchkey tokens sign | latchkey tokens verify -");
  auto token = std::make_shared<std::string>();
  auto aud = std::make_shared<std::string>();
  verify->add_option("token", *token, "The token, or - to read it from stdin")->required();
  verify->add_option("--aud", *aud, "The audience it must carry");
  verify->callback([&session, token, aud] {
    std::string text = *token;
    if (text == "-") {
      text = ReadStdin();
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    }
    json body = {{"token", text}};
    if (!aud->empty()) body["audience"] = *aud;
    json answer = session.Show("POST", "/tokens/verify", body, [](const json& v) {
      if (v.value("valid", false)) std::cout << v["claims"].dump(2) << "\n";
    });
    if (!answer.value("valid", false)) {
      throw CliError(kExitApi, "invalid token: " + answer.value("reason", "unknown"));
    }
  });
}

}  // namespace

void AddCertificateCommands(CLI::App& app, Session& session) {
  AddCerts(app, session);
  AddTokens(app, session);
}

}  // namespace latchkey::cli
