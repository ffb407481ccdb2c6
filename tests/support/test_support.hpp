// Helpers shared by the tests: where the fixtures are, .npy/.json readers, and the
// numerical tolerances stated once.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"

namespace clipkit::testing {

// Runs `fn`, which must throw clipkit::Error with `code` and a message containing
// every fragment.
void expect_error(const std::function<void()>& fn, ErrorCode code,
                         std::initializer_list<std::string_view> fragments,
                         const std::string& label = "");


// ../shared beside the checkout, or $CLIPKIT_SHARED_DIR when set.
std::filesystem::path shared_dir();
std::filesystem::path fixtures_dir();  // shared_dir()/fixtures
std::filesystem::path images_dir();    // shared_dir()/data/images
std::filesystem::path bpe_vocab();     // shared_dir()/data/clip/bpe_simple_vocab_16e6.txt.gz
std::filesystem::path source_dir();    // the project checkout
std::filesystem::path binary_dir();    // the build folder

nlohmann::json read_json(const std::filesystem::path& path);
std::string read_text(const std::filesystem::path& path);

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// Reads a little-endian float32 C-order .npy file.
NpyArray read_npy(const std::filesystem::path& path);

// Tolerances for fp32 parity with OpenAI's reference (FIXTURES.md).
inline constexpr double kMinCosine = 0.99999;
inline constexpr double kMaxAbsRelative = 1e-4;  // times max|expected|
inline constexpr double kProbTolerance = 1e-4;

double cosine(std::span<const float> a, std::span<const float> b);
double max_abs_diff(std::span<const float> a, std::span<const float> b);
double max_abs(std::span<const float> a);

// Family fixtures (tests/data/<family>/models/<m>/expected.json + pixels/*.f32):
// raw little-endian float32; the token rows flattened; the images' pixels in order.
std::vector<float> read_f32(const std::filesystem::path& path);
std::vector<int32_t> flat_tokens(const nlohmann::json& rows);
std::vector<float> fixture_pixels(const std::filesystem::path& model_dir, const nlohmann::json& expected);
// Each row of `got` (rows × dim, row-major) against want_rows: cosine >= min_cosine
// and max|Δ| <= max_rel · max|want|, as gtest failures naming `what` and the row.
// Prints and returns the worst cosine and max|Δ|/max.
std::pair<double, double> expect_rows_match(const std::vector<float>& got, const nlohmann::json& want_rows,
                                            const std::string& what, double min_cosine = kMinCosine,
                                            double max_rel = kMaxAbsRelative);

// A temporary folder removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// "" when the id lists are equal, else the first differing index, the values there
// and the sizes (for token-id comparisons).
std::string first_difference(const std::vector<int32_t>& expected, const std::vector<int32_t>& actual);

// Runs `binary args…` through the shell with stdin from `input`, capturing stdout and
// stderr. With timeout_s > 0 the command is killed after that many seconds (coreutils
// `timeout`; exit code 124), so a hang is a failing test, not a stuck suite.
struct CommandResult {
  int exit_code;
  std::string out, err;
};
CommandResult run_command(const std::filesystem::path& binary, const std::vector<std::string>& args,
                          const std::string& input = "", int timeout_s = 0);
CommandResult run_clipkit(const std::vector<std::string>& args, const std::string& input = "", int timeout_s = 0);

}  // namespace clipkit::testing
