// clipkit — the command-line tool. One subcommand per file in tools/.
#include <iostream>
#include <sstream>

#include "common.hpp"

int main(int argc, char** argv) {
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
