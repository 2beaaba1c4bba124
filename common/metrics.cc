#include "common/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace latchkey {
namespace {

std::string Escape(const std::string& v, bool help) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && !help)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

// {a="x",b="y"} (with `extra` appended, e.g. le="0.1"), or "" without labels.
// A label whose value is "" is left out, as Prometheus reads it anyway.
std::string Labels(const std::vector<std::string>& names, const LabelValues& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (values[i].empty()) continue;
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + Escape(values[i], false) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

void Header(std::string* out, const std::string& name, const std::string& help, const char* type) {
  *out += "# HELP " + name + " " + Escape(help, true) + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void CounterFamily::Add(const LabelValues& values, uint64_t n) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(values);
    if (it != series_.end()) {
      it->second->fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = series_[values];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  slot->fetch_add(n, std::memory_order_relaxed);
}

uint64_t CounterFamily::Value(const LabelValues& values) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

void CounterFamily::Render(std::string* out) const {
  Header(out, name_, help_, "counter");
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [values, count] : series_) {
    *out += name_ + Labels(labels_, values) + " " + std::to_string(count->load()) + "\n";
  }
}

void HistogramFamily::Observe(const LabelValues& values, double v) {
  size_t bucket = bounds_.size();
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      bucket = i;
      break;
    }
  }
  auto record = [&](Series& s) {
    s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
    s.sum_micros.fetch_add(static_cast<uint64_t>(std::max(0.0, v) * 1e6),
                           std::memory_order_relaxed);
  };
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return record(*it->second);
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = series_[values];
  if (!slot) slot = std::make_unique<Series>(bounds_.size());
  record(*slot);
}

uint64_t HistogramFamily::Count(const LabelValues& values) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->count.load();
}

void HistogramFamily::Render(std::string* out) const {
  Header(out, name_, help_, "histogram");
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [values, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s->buckets[i].load();
      std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
      *out += name_ + "_bucket" + Labels(labels_, values, "le=\"" + le + "\"") + " " +
              std::to_string(cumulative) + "\n";
    }
    *out += name_ + "_sum" + Labels(labels_, values) + " " +
            Number(static_cast<double>(s->sum_micros.load()) / 1e6) + "\n";
    *out += name_ + "_count" + Labels(labels_, values) + " " + std::to_string(cumulative) + "\n";
  }
}

Metrics& Metrics::Default() {
  static Metrics* metrics = new Metrics();  // never destroyed: used until exit
  return *metrics;
}

CounterFamily& Metrics::Counter(const std::string& name, const std::string& help,
                                std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<CounterFamily>(name, help, std::move(labels));
  return *slot;
}

HistogramFamily& Metrics::Histogram(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    slot = std::make_unique<HistogramFamily>(name, help, std::move(labels), std::move(bounds));
  }
  return *slot;
}

void Metrics::Gauge(const std::string& name, const std::string& help,
                    std::vector<std::string> labels, std::function<std::vector<GaugeSample>()> read,
                    bool counter) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_[name] = GaugeFamily{help, std::move(labels), std::move(read), counter};
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  // One sorted list of families, whatever their kind.
  std::map<std::string, std::function<void(std::string*)>> families;
  for (const auto& [name, c] : counters_) families[name] = [&c](std::string* o) { c->Render(o); };
  for (const auto& [name, h] : histograms_) {
    families[name] = [&h](std::string* o) { h->Render(o); };
  }
  for (const auto& [name, g] : gauges_) {
    families[name] = [&name, &g](std::string* o) {
      Header(o, name, g.help, g.counter ? "counter" : "gauge");
      for (const GaugeSample& s : g.read()) {
        *o += name + Labels(g.labels, s.values) + " " + Number(s.value) + "\n";
      }
    };
  }
  std::string out;
  for (const auto& [name, render] : families) render(&out);
  return out;
}

const std::vector<double>& Metrics::LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

std::string StatusClass(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

namespace {

double ReadStatField(int index) {  // 1-based field of /proc/self/stat
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= index && fields >> field; ++i) {
    if (i == index) return std::strtod(field.c_str(), nullptr);
  }
  return 0;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

void AddProcessMetrics(Metrics& metrics) {
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double boot = 0;
  {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
      if (key == "btime") {
        in >> boot;
        break;
      }
    }
  }
  double start = boot + ReadStatField(22) / ticks;
  auto one = [](double v) { return std::vector<GaugeSample>{{{}, v}}; };
  metrics.Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch", {},
                [=] { return one(start); });
  metrics.Gauge("process_resident_memory_bytes", "Resident memory size in bytes", {},
                [=] { return one(ReadStatField(24) * page); });
  metrics.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", {},
                [=] { return one(ReadStatField(23)); });
  metrics.Gauge("process_open_fds", "Number of open file descriptors", {},
                [=] { return one(CountOpenFds()); });
  metrics.Gauge("process_threads", "Number of OS threads in the process", {},
                [=] { return one(ReadStatField(20)); });
  metrics.Gauge(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds", {},
      [=] { return one((ReadStatField(14) + ReadStatField(15)) / ticks); }, /*counter=*/true);
}

}  // namespace latchkey
