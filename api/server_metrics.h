// What latchkeyd adds to the metrics beyond the counters the code keeps:
// gauges read from the serving objects at each scrape, and the optional
// --metrics-listen listener.
#pragma once

#include "api/config.h"
#include "api/metrics_listener.h"
#include "common/audit_writer.h"
#include "common/database.h"
#include "common/worker_pool.h"
#include "services/certificates/key_pool.h"

namespace latchkey {

// Registers the key pool, audit queue, database pool, worker pool and
// process gauges with Metrics::Default(). The objects must outlive every
// scrape (the listeners stop first).
void RegisterServerGauges(KeyPool& key_pool, AuditWriter& audit_writer, Database& db,
                          WorkerPool& workers);

// Starts `listener` on --metrics-listen if it is set (and prints where);
// InvalidArgument or Unavailable if it cannot.
Status StartMetricsListener(const Config& config, MetricsListener& listener);

}  // namespace latchkey
