// Metrics: process-wide counters, histograms and gauges, rendered in the
// Prometheus text exposition format (version 0.0.4).
//
// Families are registered once, by name, usually through a function-local
// static at the place that counts:
//
//   static CounterFamily& calls = Metrics::Default().Counter(
//       "latchkey_proxy_requests_total", "Proxy calls by outcome", {"outcome"});
//   calls.Add({"success"});
//
// Label values come from code or from a bounded set (route templates,
// provider ids, status classes), never from request data such as paths or
// secret names, so the number of series stays small.
//
// Thread-safety: everything is safe from any thread. Adding to an existing
// series takes a shared lock and an atomic add; a new series takes the
// exclusive lock once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace latchkey {

using LabelValues = std::vector<std::string>;

class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  void Add(const LabelValues& values, uint64_t n = 1);
  uint64_t Value(const LabelValues& values) const;  // 0 for a series never added to
  void Render(std::string* out) const;

 private:
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  mutable std::shared_mutex mu_;  // guards series_ (the map, not the counts)
  std::map<LabelValues, std::unique_ptr<std::atomic<uint64_t>>> series_;
};

class HistogramFamily {
 public:
  // `bounds`: the upper bounds of the buckets, ascending (+Inf is added).
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}
  void Observe(const LabelValues& values, double v);
  uint64_t Count(const LabelValues& values) const;
  void Render(std::string* out) const;

 private:
  struct Series {
    explicit Series(size_t n) : buckets(n + 1) {}
    std::vector<std::atomic<uint64_t>> buckets;  // not cumulative; last is +Inf
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};  // sum of observations x 1e6
  };
  const std::string name_, help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  mutable std::shared_mutex mu_;  // guards series_
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

// Read when rendered: one sample per label set.
struct GaugeSample {
  LabelValues values;
  double value;
};

class Metrics {
 public:
  // The process's registry (what GET /metrics renders).
  static Metrics& Default();

  // The family named `name`, registered on first call; later calls return
  // the same family (their help and labels are ignored).
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> labels = {});
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> labels, std::vector<double> bounds);
  // A gauge (or, with `counter`, a counter) read from `read` at each render;
  // registering a name again replaces its reader.
  void Gauge(const std::string& name, const std::string& help, std::vector<std::string> labels,
             std::function<std::vector<GaugeSample>()> read, bool counter = false);

  std::string Render() const;

  // Buckets for request and upstream latencies, in seconds.
  static const std::vector<double>& LatencyBuckets();

 private:
  struct GaugeFamily {
    std::string help;
    std::vector<std::string> labels;
    std::function<std::vector<GaugeSample>()> read;
    bool counter;
  };
  mutable std::mutex mu_;  // guards the maps below
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_;
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_;
  std::map<std::string, GaugeFamily> gauges_;
};

// Adds the process_* metrics (resident memory, open fds, threads, start
// time, CPU seconds) to `metrics`, read from /proc at each render.
void AddProcessMetrics(Metrics& metrics);

// "2xx", "4xx", ...: the status class label.
std::string StatusClass(int status);

}  // namespace latchkey
