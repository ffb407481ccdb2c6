// clipkit — the command-line tool. One subcommand per file in tools/.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "common.hpp"

namespace {

// OpenMP (the threads oneDNN and clipkit share) spins ~300,000 iterations at every
// barrier by default. On a machine where another process holds a core, that turns a
// 50 ms image into 600 ms; a spin of 20,000 gives 140 ms there and the same speed as
// the default on a quiet machine (docs/performance.md). libgomp reads its settings before main runs, so the CLI sets
// GOMP_SPINCOUNT and re-executes itself once. A user's OMP_WAIT_POLICY or
// GOMP_SPINCOUNT wins (and stops the re-exec).
void use_short_openmp_spin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  setenv("GOMP_SPINCOUNT", "20000", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  use_short_openmp_spin(argv);
  using namespace clipkit::tools;
  CLI::App app{"clipkit: CLIP image & text embeddings, similarity and zero-shot labels"};
  app.require_subcommand(1);
  app.set_version_flag("--version", clipkit::version());
  std::ostringstream out;
  add_classify(app, out);
  add_embed(app, out);
  add_tokenize(app, out);
  add_preprocess(app, out);
  add_info(app, out);
  add_bench(app, out);
  add_index(app, out);
  add_search(app, out);
  add_dedupe(app, out);
  add_serve(app, out);
  add_pull(app, out);
  add_cluster(app, out);
  // CLI11 would treat an unknown command as a stray argument, and `clipkit frobnicate
  // --help` would print the general help and succeed: name the mistake instead.
  const std::string first = argc > 1 ? argv[1] : "";
  const auto all = app.get_subcommands([](const CLI::App*) { return true; });
  const bool known = std::any_of(all.begin(), all.end(), [&](const CLI::App* sub) { return sub->check_name(first); });
  if (!first.empty() && first[0] != '-' && !known) {
    std::string names;
    for (const CLI::App* sub : all) names += (names.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "clipkit: error: unknown command '" << argv[1] << "' (commands: " << names << ")\n";
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const clipkit::Error& e) {
    std::cerr << "clipkit: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "clipkit: error: " << e.what() << "\n";
    return 1;
  }
  std::cout << out.str() << std::flush;
  return 0;
}
