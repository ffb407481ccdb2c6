// clipkit pull — fetch a named model from the registry into the cache, verified and
// resumable; --list shows the registry and what is cached.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "common.hpp"

namespace clipkit::tools {

namespace {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

// One file's progress: a redrawn line on a terminal, else a line every few seconds.
class DownloadLine {
 public:
  explicit DownloadLine(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO) == 1) {}
  void operator()(uint64_t have, uint64_t total) {
    if (have == 0 && total == 0) return;  // no answer yet
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      start_ = now;
      first_ = have;
    }
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const bool done = total > 0 && have >= total;
    if (done && printed_done_) return;
    if (!done && seconds - last_ < (tty_ ? 0.2 : 5.0)) return;
    last_ = seconds;
    const double rate = seconds > 0 ? static_cast<double>(have - first_) / seconds : 0;
    char line[256];
    std::string eta = "?";
    if (total > 0 && rate > 0) eta = fixed(static_cast<double>(total - have) / rate, 0) + "s";
    std::snprintf(line, sizeof line, "%s%s  %s / %s  %s/s  ETA %s%s", tty_ ? "\r" : "", label_.c_str(),
                  human_bytes(have).c_str(), total ? human_bytes(total).c_str() : "?", human_bytes(
                      static_cast<uint64_t>(rate)).c_str(), eta.c_str(), tty_ ? "\x1b[K" : "\n");
    std::cerr << line;
    if (done) {
      printed_done_ = true;
      if (tty_) std::cerr << "\n";
    }
    std::cerr << std::flush;
  }

 private:
  std::string label_;
  bool tty_;
  bool started_ = false, printed_done_ = false;
  std::chrono::steady_clock::time_point start_;
  uint64_t first_ = 0;
  double last_ = -1e9;
};

}  // namespace

std::filesystem::path registry_path() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CLIPKIT_REGISTRY"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "clipkit" / "models" / "registry.json";
    if (fs::is_regular_file(installed, ec)) return installed;
  }
  return CLIPKIT_DEFAULT_REGISTRY;
}

PulledModel pull_with_progress(const RegistryEntry& entry, bool offline, bool quiet) {
  PullOptions options;
  options.offline = offline;
  std::shared_ptr<DownloadLine> line;
  options.on_wait = [&] {
    if (!quiet) std::cerr << "waiting for another clipkit pull of " << entry.name << "\n";
  };
  options.on_file = [&](const RegistryFile& file, size_t index, size_t count) {
    line = std::make_shared<DownloadLine>(entry.name + " " + file.path + " (" + std::to_string(index + 1) + "/" +
                                          std::to_string(count) + ")");
  };
  options.download.progress = [&](uint64_t have, uint64_t total) {
    if (!quiet && line) (*line)(have, total);
  };
  return pull(entry, options);
}

void add_pull(CLI::App& app, std::ostream& out) {
  struct Args {
    std::string name;
    bool list = false, offline = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("pull", "download a named model into the cache (verified, resumable)");
  sub->footer(
      "Names: OpenAI's checkpoints (ViT-B/32, ViT-L/14@336px, …) and Hugging Face repositories (hf:owner/repo); "
      "`clipkit pull --list` shows them. The cache is $CLIPKIT_CACHE, else $XDG_CACHE_HOME/clipkit, else "
      "~/.cache/clipkit. Gated repositories need HF_TOKEN; proxies: HTTPS_PROXY. Any --model/--text-model takes "
      "these names too.");
  sub->add_option("name", args->name, "the model's name in the registry");
  sub->add_flag("--list", args->list, "list the registry: names, families, what is cached and its size");
  sub->add_flag("--offline", args->offline, "never touch the network: say what is missing (also CLIPKIT_OFFLINE=1)");
  sub->add_flag("-q,--quiet", args->quiet, "no progress lines");
  sub->callback([args, &out] {
    const Registry registry = Registry::load(registry_path());
    if (args->list) {
      namespace fs = std::filesystem;
      const fs::path cache = cache_root();
      for (const RegistryEntry& e : registry.entries()) {
        const fs::path folder = cache / cache_folder_name(e.name);
        uint64_t cached_bytes = 0, known_total = 0;
        bool total_known = true;
        std::error_code ec;
        for (const RegistryFile& f : e.files) {
          if (fs::is_regular_file(folder / f.path, ec)) cached_bytes += fs::file_size(folder / f.path, ec);
          if (f.size) known_total += *f.size;
          else total_known = false;
        }
        const size_t missing = missing_files(e, cache).size();
        std::string state = missing == 0 ? "cached " + human_bytes(cached_bytes)
                            : missing == e.files.size() ? "not cached"
                                                        : "partly cached (" + std::to_string(missing) + " of " +
                                                              std::to_string(e.files.size()) + " files missing)";
        out << e.name << "\t" << e.family << "\t" << state;
        if (total_known) out << "\tsize " << human_bytes(known_total);
        if (!e.loadable) out << "\tnot loadable yet";
        if (!e.note.empty()) out << "\t(" << e.note << ")";
        out << "\n";
      }
      return;
    }
    if (args->name.empty()) throw Error(ErrorCode::invalid_argument, "pull: give a model name, or --list");
    const RegistryEntry& entry = registry.get(args->name);
    const PulledModel pulled = pull_with_progress(entry, args->offline, args->quiet);
    out << pulled.model.string() << "\n";
    if (!entry.loadable && !entry.note.empty() && !args->quiet) std::cerr << "note: " << entry.name << ": " << entry.note << "\n";
  });
}

}  // namespace clipkit::tools
