#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace clipkit::testing {

namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* env = std::getenv("CLIPKIT_SHARED_DIR"); env && *env) return env;
  return fs::path(CLIPKIT_SHARED_DIR);
}
fs::path fixtures_dir() { return shared_dir() / "fixtures"; }
fs::path images_dir() { return shared_dir() / "data" / "images"; }
fs::path bpe_vocab() { return shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz"; }
fs::path source_dir() { return fs::path(CLIPKIT_SOURCE_DIR); }
fs::path binary_dir() { return fs::path(CLIPKIT_BINARY_DIR); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::string s = read_text(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void write_bytes(const fs::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(read_text(path)); }

NpyArray read_npy(const fs::path& path) {
  std::string bytes = read_text(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw std::runtime_error("not an npy file: " + path.string());
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else {
    uint32_t n = 0;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    offset = 12;
  }
  std::string header = bytes.substr(offset, header_len);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error("npy is not C-order float32: " + path.string());
  NpyArray out;
  auto lp = header.find('(', header.find("'shape'"));
  auto rp = header.find(')', lp);
  std::stringstream shape(header.substr(lp + 1, rp - lp - 1));
  std::string item;
  size_t numel = 1;
  while (std::getline(shape, item, ',')) {
    if (item.find_first_not_of(" ") == std::string::npos) continue;
    out.shape.push_back(std::stoll(item));
    numel *= static_cast<size_t>(out.shape.back());
  }
  const size_t data_offset = offset + header_len;
  if (bytes.size() < data_offset + numel * 4) throw std::runtime_error("npy truncated: " + path.string());
  out.data.resize(numel);
  std::memcpy(out.data.data(), bytes.data() + data_offset, numel * 4);
  return out;
}

std::vector<float> read_f32(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

std::vector<int32_t> flat_tokens(const nlohmann::json& rows) {
  std::vector<int32_t> tokens;
  for (const auto& row : rows)
    for (const auto& id : row) tokens.push_back(id.get<int32_t>());
  return tokens;
}

std::vector<float> fixture_pixels(const std::filesystem::path& model_dir, const nlohmann::json& expected) {
  std::vector<float> pixels;
  for (const auto& image : expected["images"]) {
    const std::vector<float> one = read_f32(model_dir / "pixels" / (image.get<std::string>() + ".f32"));
    pixels.insert(pixels.end(), one.begin(), one.end());
  }
  return pixels;
}

std::pair<double, double> expect_rows_match(const std::vector<float>& got, const nlohmann::json& want_rows,
                                            const std::string& what, double min_cosine, double max_rel) {
  const size_t n = want_rows.size(), dim = want_rows[0].size();
  EXPECT_EQ(got.size(), n * dim) << what;
  if (got.size() != n * dim) return {0, 1};
  double worst_cos = 1, worst_rel = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto want = want_rows[i].get<std::vector<float>>();
    const std::span<const float> row(got.data() + i * dim, dim);
    const double cos = cosine(row, want);
    const double rel = max_abs_diff(row, want) / max_abs(want);
    worst_cos = std::min(worst_cos, cos);
    worst_rel = std::max(worst_rel, rel);
    EXPECT_GE(cos, min_cosine) << what << " row " << i;
    EXPECT_LE(rel, max_rel) << what << " row " << i;
  }
  std::cout << "  " << what << ": worst cosine " << worst_cos << ", worst max|Δ|/max " << worst_rel << "\n";
  return {worst_cos, worst_rel};
}

double cosine(std::span<const float> a, std::span<const float> b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / (std::sqrt(na) * std::sqrt(nb) + 1e-300);
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double m = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

double max_abs(std::span<const float> a) {
  double m = 0;
  for (float v : a) m = std::max(m, std::fabs(double(v)));
  return m;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("clipkit-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void expect_error(const std::function<void()>& fn, ErrorCode code,
                         std::initializer_list<std::string_view> fragments,
                         const std::string& label) {
  try {
    fn();
    ADD_FAILURE() << label << ": no error thrown, expected " << to_string(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << label << ": got " << to_string(e.code()) << ": " << e.what();
    for (auto f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << label << ": message lacks '" << f << "': " << e.what();
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": threw a non-clipkit exception: " << e.what();
  }
}


std::string first_difference(const std::vector<int32_t>& expected, const std::vector<int32_t>& actual) {
  if (expected == actual) return "";
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  std::ostringstream ss;
  ss << "first difference at index " << i << ": expected "
     << (i < expected.size() ? std::to_string(expected[i]) : std::string("<end>")) << ", got "
     << (i < actual.size() ? std::to_string(actual[i]) : std::string("<end>")) << " (sizes " << expected.size()
     << " vs " << actual.size() << ")";
  return ss.str();
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

CommandResult run_command(const std::filesystem::path& binary, const std::vector<std::string>& args,
                          const std::string& input, int timeout_s) {
  TempDir tmp;
  const std::filesystem::path in = tmp.path() / "in", out = tmp.path() / "out", err = tmp.path() / "err";
  write_bytes(in, std::vector<uint8_t>(input.begin(), input.end()));
  std::string cmd = timeout_s > 0 ? "timeout -s KILL " + std::to_string(timeout_s) + " " : std::string();
  cmd.append(shell_quote(binary.string()));
  for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
  for (const auto& [redirect, file] : {std::pair{" <", in}, std::pair{" >", out}, std::pair{" 2>", err}})
    cmd.append(redirect).append(shell_quote(file.string()));
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_text(out), read_text(err)};
}

CommandResult run_clipkit(const std::vector<std::string>& args, const std::string& input, int timeout_s) {
  return run_command(binary_dir() / "clipkit", args, input, timeout_s);
}

}  // namespace clipkit::testing
