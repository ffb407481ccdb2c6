// clipkit serve — the JSON API and the web page over an index.
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "common.hpp"

namespace clipkit::tools {

void add_serve(CLI::App& app, std::ostream&) {
  struct Args {
    ModelArgs model;
    std::string db;
    ServerOptions server;
    size_t max_upload_mb = 32;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("serve", "a local web app and JSON API to search an index");
  add_model_options(*sub, args->model, true);
  sub->add_option("--db", args->db, "the index database file")->required();
  sub->add_option("--host", args->server.host, "address to listen on (loopback by default)")->capture_default_str();
  sub->add_option("--port", args->server.port, "port (0: any free one)")->check(CLI::Range(0, 65535))->capture_default_str();
  sub->add_option("--token", args->server.token,
                  "require the header 'Authorization: Bearer TOKEN' on /api (never ?token= in a URL); open the page "
                  "at /#token=TOKEN (default: $CLIPKIT_TOKEN)")
      ->envname("CLIPKIT_TOKEN");
  sub->add_option("--max-upload-mb", args->max_upload_mb, "largest accepted upload")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->callback([args] {
    std::shared_ptr<ImageIndex> index = ImageIndex::open(args->db, false);
    std::shared_ptr<const Clip> clip;
    if (auto loaded = load_clip_for_index(args->model, *index)) clip = std::make_shared<const Clip>(std::move(*loaded));
    args->server.max_upload_bytes = args->max_upload_mb << 20;
    // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Server server(clip, index, args->server);
    const int port = server.bind();
    const IndexStats stats = index->stats();
    std::cerr << "clipkit: serving " << stats.vectors << " images from " << args->db << " on http://"
              << args->server.host << ":" << port << "/" << (args->server.token.empty() ? "" : "#token=YOUR_TOKEN")
              << (clip ? "" : " (no model: only 'more like this' works)") << std::endl;
    std::thread waiter([&server, signals] {
      int received = 0;
      sigwait(&signals, &received);
      server.stop();
    });
    server.run();
    // Stopped by a signal: the waiter has returned. Otherwise wake it ourselves.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  });
}

}  // namespace clipkit::tools
