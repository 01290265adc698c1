#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace surge::detail {
namespace {

// Fields of /proc/self/stat after the command name (which may contain spaces and parentheses):
// index 0 is field 3 (state).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields;
  auto close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

double open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir used
}

}  // namespace

ProcessMetrics::ProcessMetrics() {
  // starttime (field 22) is in clock ticks since boot.
  std::vector<std::string> f = stat_fields();
  if (f.size() > 19) {
    start_time_seconds_ = boot_time_seconds() + std::stod(f[19]) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
}

void ProcessMetrics::collect(MetricSink& sink) const {
  std::vector<std::string> f = stat_fields();
  if (f.size() > 21) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    // utime (14) + stime (15) -> indices 11, 12; vsize (23) -> 20; rss pages (24) -> 21.
    sink.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {},
                 (std::stod(f[11]) + std::stod(f[12])) / ticks);
    sink.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, std::stod(f[20]));
    sink.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
               std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
  sink.gauge("process_open_fds", "Number of open file descriptors.", {}, open_fds());
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    sink.gauge("process_max_fds", "Maximum number of open file descriptors.", {},
               static_cast<double>(limit.rlim_cur));
  }
  sink.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {},
             start_time_seconds_);
}

}  // namespace surge::detail
