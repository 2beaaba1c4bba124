#include "cli/session.h"

#include <iostream>

namespace latchkey::cli {
namespace {

using json = nlohmann::json;

std::string ErrorLine(const json& answer, long status) {
  std::string code = "HTTP_" + std::to_string(status);
  std::string message = "the server answered " + std::to_string(status);
  if (answer.is_object()) {
    if (answer.contains("code") && answer["code"].is_string()) code = answer["code"];
    if (answer.contains("error") && answer["error"].is_string()) message = answer["error"];
  }
  return code + ": " + message;
}

}  // namespace

ApiClient& Session::client() {
  if (!client_) {
    auto login = LoadLogin(globals_.profile);
    if (!login) {
      throw CliError(kExitAuth, "not logged in (profile '" + globals_.profile +
                                    "'): run latchkey login --url URL, or set LATCHKEY_URL and"
                                    " LATCHKEY_API_KEY");
    }
    client_ = std::make_unique<ApiClient>(login->url, login->key);
  }
  return *client_;
}

void Session::UseLogin(const Login& login) {
  client_ = std::make_unique<ApiClient>(login.url, login.key);
}

json Session::Call(const std::string& method, const std::string& path,
                   const std::optional<json>& body) {
  std::optional<std::string> text;
  if (body) text = body->dump();
  ApiAnswer answer;
  try {
    answer = client().Call(method, path, text);
  } catch (const NetworkError& e) {
    throw CliError(kExitApi, e.message);
  }
  if (text) std::fill(text->begin(), text->end(), '\0');
  last_body_ = std::move(answer.body);
  json parsed = last_body_.empty() ? json() : json::parse(last_body_, nullptr, false);
  if (answer.status == 401) {
    throw CliError(kExitAuth, ErrorLine(parsed, answer.status) + " (log in again: latchkey login)");
  }
  if (answer.status >= 400 || parsed.is_discarded()) {
    throw CliError(kExitApi, ErrorLine(parsed, answer.status));
  }
  return parsed;
}

json Session::Show(const std::string& method, const std::string& path,
                   const std::optional<json>& body,
                   const std::function<void(const json&)>& render) {
  json answer = Call(method, path, body);
  if (globals_.json) {
    std::cout << last_body_ << "\n";
  } else {
    render(answer);
  }
  return answer;
}

json Session::ShowList(const std::string& path, const std::function<void(const json&)>& render) {
  const char* sep = path.find('?') == std::string::npos ? "?" : "&";
  json all = json::array();
  std::string cursor;
  do {
    std::string page_path = path + sep + "limit=1000";
    if (!cursor.empty()) page_path += "&cursor=" + cursor;  // base64url: no escaping
    json page = Call("GET", page_path);
    for (auto& item : page["data"]) all.push_back(std::move(item));
    cursor = page["nextCursor"].is_string() ? page["nextCursor"].get<std::string>() : "";
  } while (!cursor.empty());
  json answer = {{"data", std::move(all)}, {"nextCursor", nullptr}};
  if (globals_.json) {
    std::cout << answer.dump() << "\n";
  } else {
    render(answer);
  }
  return answer;
}

void Note(const std::string& line) { std::cerr << line << "\n"; }

}  // namespace latchkey::cli
