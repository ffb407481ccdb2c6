// clipkit tokenize — one JSON string per stdin line in, one JSON object per line out.
#include <iostream>

#include "common.hpp"

namespace clipkit::tools {

void add_tokenize(CLI::App& app, std::ostream&) {
  struct Args {
    std::string vocab;
    std::string model;
    int context = 0;  // 0: the tokenizer's (CLIP 77, WordPiece 52)
    bool no_truncate = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "tokenize", "CLIP BPE (or, for a vocab.txt, Chinese-CLIP's WordPiece) token ids: reads one JSON string per "
                  "line on stdin, writes {\"ids\", \"tokens\"} or {\"error\"} per line");
  sub->add_option("--vocab", args->vocab,
                  "BPE merges, or a BERT vocab.txt (WordPiece, as Chinese-CLIP) (default: the --model folder's, "
                  "then $CLIPKIT_VOCAB)");
  sub->add_option("-m,--model", args->model, "a model folder holding its vocabulary");
  sub->add_option("--context", args->context, "context length (default: 77 for CLIP BPE, 52 for WordPiece)")
      ->check(CLI::Range(2, 100000));
  sub->add_flag("--no-truncate", args->no_truncate, "report over-long texts as errors instead of cutting them");
  sub->callback([args] {
    std::filesystem::path vocab = args->vocab;
    if (vocab.empty() && !args->model.empty()) vocab = args->model;
    if (vocab.empty())
      if (const char* env = std::getenv("CLIPKIT_VOCAB"); env && *env) vocab = env;
    if (vocab.empty()) throw Error(ErrorCode::invalid_argument, "no vocabulary: pass --vocab FILE or set CLIPKIT_VOCAB");
    // A BERT vocabulary is a vocab.txt; CLIP's are merges files, vocab.json or folders.
    const bool wordpiece = vocab.filename() == "vocab.txt";
    Tokenizer tokenizer = wordpiece ? Tokenizer::from_wordpiece(vocab) : Tokenizer::from_file(vocab);
    const int context = args->context > 0 ? args->context : wordpiece ? 52 : 77;
    std::string line;
    size_t line_number = 0;
    // Streamed: each answer is flushed as soon as its line is read.
    while (std::getline(std::cin, line)) {
      ++line_number;
      nlohmann::json result;
      try {
        auto parsed = nlohmann::json::parse(line);
        if (!parsed.is_string()) throw Error(ErrorCode::invalid_argument, "expected a JSON string");
        const std::string text = parsed.get<std::string>();
        result["ids"] = tokenizer.encode(text);
        result["tokens"] = tokenizer.tokenize(text, context, !args->no_truncate);
      } catch (const nlohmann::json::exception& e) {
        result = {{"error", "line " + std::to_string(line_number) + ": not a JSON string: " + e.what()}};
      } catch (const Error& e) {
        result = {{"error", "line " + std::to_string(line_number) + ": " + e.what()}};
      }
      std::cout << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
    }
  });
}

}  // namespace clipkit::tools
