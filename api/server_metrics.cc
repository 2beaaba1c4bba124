// The gauges latchkeyd registers, and the --metrics-listen listener.
#include "api/server_metrics.h"

#include <cstdio>

#include "common/metrics.h"

namespace latchkey {

void RegisterServerGauges(KeyPool& key_pool, AuditWriter& audit_writer, Database& db,
                          WorkerPool& workers) {
  Metrics& m = Metrics::Default();
  auto one = [](double v) { return std::vector<GaugeSample>{{{}, v}}; };
  m.Gauge("latchkey_key_pool_ready_keys", "Pre-generated RSA keys ready in the pool", {},
          [&key_pool, one] { return one(static_cast<double>(key_pool.stats().ready)); });
  m.Gauge(
      "latchkey_key_pool_takes_total", "Keys taken from the pool (hit) or generated (miss)",
      {"result"},
      [&key_pool] {
        KeyPoolStats st = key_pool.stats();
        return std::vector<GaugeSample>{{{"hit"}, static_cast<double>(st.hits)},
                                        {{"miss"}, static_cast<double>(st.misses)}};
      },
      /*counter=*/true);
  m.Gauge("latchkey_audit_queue_events", "Audit events queued and not yet committed", {},
          [&audit_writer, one] { return one(static_cast<double>(audit_writer.Pending())); });
  m.Gauge("latchkey_database_connections", "Database connections, open and in use", {"state"},
          [&db] {
            DatabasePoolStats st = db.PoolStats();
            return std::vector<GaugeSample>{{{"open"}, static_cast<double>(st.open)},
                                            {{"in_use"}, static_cast<double>(st.in_use)}};
          });
  m.Gauge("latchkey_worker_pool_jobs", "Blocking requests running and queued", {"state"},
          [&workers] {
            return std::vector<GaugeSample>{{{"running"}, static_cast<double>(workers.busy())},
                                            {{"queued"}, static_cast<double>(workers.queued())}};
          });
  AddProcessMetrics(m);
}

Status StartMetricsListener(const Config& config, MetricsListener& listener) {
  if (config.metrics_listen.empty()) return Status::Ok();
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(config.metrics_listen, &host, &port).ok()) {
    return InvalidArgument("--metrics-listen must be HOST:PORT, got '" + config.metrics_listen +
                           "'");
  }
  RETURN_IF_ERROR(listener.Start(host, port));
  bool v6 = host.find(':') != std::string::npos;
  std::printf("metrics on http://%s:%u/metrics\n", (v6 ? "[" + host + "]" : host).c_str(),
              static_cast<unsigned>(listener.port()));
  return Status::Ok();
}

}  // namespace latchkey
