#include "cli/prompt.h"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <iterator>

#include "cli/config.h"

namespace latchkey::cli {
namespace {

void DropNewline(std::string& s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
}

termios saved_terminal;
termios quiet_terminal;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP};

void OnSignal(int sig);

void Catch(void (*handler)(int)) {
  for (int sig : kSignals) signal(sig, handler);
  signal(SIGCONT, handler == SIG_DFL ? SIG_DFL : OnSignal);
}

// A signal at a prompt: give the terminal its echo back first. Ctrl-Z
// stops with echo on; on fg (SIGCONT) echo goes off again.
void OnSignal(int sig) {
  if (sig == SIGCONT) {
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet_terminal);
    signal(SIGTSTP, OnSignal);
    return;
  }
  tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  signal(sig, SIG_DFL);
  raise(sig);
}

// A line typed at the terminal with echo off (off before the prompt shows,
// so nothing typed early is echoed).
std::string ReadHidden(const std::string& label) {
  bool restore = tcgetattr(STDIN_FILENO, &saved_terminal) == 0;
  if (restore) {
    quiet_terminal = saved_terminal;
    quiet_terminal.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet_terminal.c_lflag |= ECHONL;
    Catch(OnSignal);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet_terminal);
  }
  std::cerr << label << ": " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
    Catch(SIG_DFL);
  } else {
    std::cerr << "\n";
  }
  DropNewline(line);
  return line;
}

}  // namespace

std::vector<std::string> ReadSecrets(const std::vector<std::string>& labels) {
  std::vector<std::string> values;
  if (isatty(STDIN_FILENO)) {
    for (const auto& label : labels) values.push_back(ReadHidden(label));
  } else if (labels.size() == 1) {
    std::string all = ReadStdin();
    DropNewline(all);
    values.push_back(std::move(all));
  } else {
    for (size_t i = 0; i < labels.size(); ++i) {
      std::string line;
      if (!std::getline(std::cin, line)) break;
      DropNewline(line);
      values.push_back(std::move(line));
    }
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i >= values.size() || values[i].empty()) {
      throw CliError(kExitUsage, "no " + labels[i] +
                                     " given: type it at the prompt, or pipe it on stdin"
                                     " (one line per value)");
    }
  }
  return values;
}

std::string ReadSecret(const std::string& label) { return ReadSecrets({label}).front(); }

bool Confirm(const std::string& question, bool yes) {
  if (yes) return true;
  if (!isatty(STDIN_FILENO)) {
    throw CliError(kExitUsage, question + " Not a terminal: pass --yes to go ahead.");
  }
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

std::string ReadStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO); }
bool StderrIsTerminal() { return isatty(STDERR_FILENO); }

}  // namespace latchkey::cli
