// latchkey completion bash|zsh|fish: scripts made from the command tree
// itself, so they never fall behind it.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/session.h"

namespace latchkey::cli {
namespace {

struct Node {
  std::vector<std::string> commands;  // subcommand names
  std::vector<std::string> flags;     // --long names
};

// Every command path ("" for the top, "/certs/create") and what follows it.
void Walk(const CLI::App& app, const std::string& path, std::map<std::string, Node>& out) {
  Node& node = out[path];
  for (const CLI::App* sub : app.get_subcommands({})) {
    node.commands.push_back(sub->get_name());
    Walk(*sub, path + "/" + sub->get_name(), out);
  }
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) node.flags.push_back("--" + name);
  }
}

std::string Join(const std::vector<std::string>& a, const std::vector<std::string>& b = {}) {
  std::string out;
  for (const auto* list : {&a, &b}) {
    for (const auto& w : *list) out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

void Bash(const std::map<std::string, Node>& tree) {
  std::cout << "# latchkey completion for bash: source <(latchkey completion bash)\n"
               "_latchkey() {\n"
               "  local cur=${COMP_WORDS[COMP_CWORD]} path= i w words=\n"
               "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "    w=${COMP_WORDS[i]}\n"
               "    case $w in -*) ;; *) path=\"$path/$w\" ;; esac\n"
               "  done\n"
               "  case $path in\n";
  // Deepest first, so a command's own words win over its parent's.
  std::vector<std::pair<std::string, const Node*>> paths;
  for (const auto& [path, node] : tree) paths.emplace_back(path, &node);
  std::sort(paths.begin(), paths.end(), [](const auto& a, const auto& b) {
    return std::count(a.first.begin(), a.first.end(), '/') >
           std::count(b.first.begin(), b.first.end(), '/');
  });
  for (const auto& [path, node] : paths) {
    if (path.empty()) continue;
    std::cout << "    \"" << path << "\") words=\"" << Join(node->commands, node->flags)
              << "\" ;;\n";
  }
  std::cout << "    \"\") words=\"" << Join(tree.at("").commands, tree.at("").flags) << "\" ;;\n"
            << "  esac\n"
               "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
               "}\n"
               "complete -F _latchkey latchkey\n";
}

void Fish(const std::map<std::string, Node>& tree) {
  std::cout << "# latchkey completion for fish: latchkey completion fish | source\n";
  for (const auto& [path, node] : tree) {
    if (node.commands.empty()) continue;
    std::string condition = "__fish_use_subcommand";
    if (!path.empty()) {
      std::string last = path.substr(path.rfind('/') + 1);
      condition = "__fish_seen_subcommand_from " + last + "; and not __fish_seen_subcommand_from " +
                  Join(node.commands);
    }
    std::cout << "complete -c latchkey -f -n '" << condition << "' -a '" << Join(node.commands)
              << "'\n";
  }
  for (const auto& flag : tree.at("").flags) {
    std::cout << "complete -c latchkey -l " << flag.substr(2) << "\n";
  }
}

}  // namespace

void AddCompletionCommand(CLI::App& app) {
  auto* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->footer("Example: source <(latchkey completion bash)");
  auto shell = std::make_shared<std::string>();
  completion->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->callback([&app, shell] {
    std::map<std::string, Node> tree;
    Walk(app, "", tree);
    if (*shell == "fish") return Fish(tree);
    if (*shell == "zsh") std::cout << "autoload -U +X bashcompinit && bashcompinit\n";
    Bash(tree);
  });
}

}  // namespace latchkey::cli
