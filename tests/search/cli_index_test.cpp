// The index/search/dedupe/classify subcommands end to end, including kill -9 in the
// middle of indexing and resuming.
#include <chrono>
#include <csignal>
#include <set>
#include <sstream>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <thread>

#include "search/search_test_util.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_clipkit;
using testing::TempDir;

std::vector<std::string> with_model(std::vector<std::string> args) {
  for (const auto& a : testing::tiny_model_args()) args.push_back(a);
  return args;
}

int64_t count_rows(const fs::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
      n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

std::string integrity(const fs::path& db_path) {
  sqlite3* db = nullptr;
  std::string result;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
    result = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  return result;
}

TEST(CliIndex, KillNineMidwayThenResume) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos", db = tmp.path() / "p.clipkit";
  constexpr int kImages = 400, kBatch = 4;
  for (int i = 0; i < kImages; ++i)
    testing::write_bmp(dir / std::string("d").append(std::to_string(i / 100)) / std::string("i").append(std::to_string(i)).append(".bmp"), 160, 120,
                       static_cast<uint32_t>(i));

  std::vector<std::string> args = with_model({"clipkit", "index", "--db", db.string(), dir.string(), "--batch",
                                              std::to_string(kBatch), "--threads", "1", "--decode-threads", "1", "-q"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const std::string binary = (testing::binary_dir() / "clipkit").string();
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  // Kill it once some batches are committed, long before the end.
  int64_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    seen = count_rows(db, "SELECT COUNT(*) FROM files");
    if (seen >= 3 * kBatch) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "indexing finished before it could be killed (saw " << seen << " rows)";

  EXPECT_EQ(integrity(db), "ok");
  const int64_t committed = count_rows(db, "SELECT COUNT(*) FROM files");
  ASSERT_GE(committed, 3 * kBatch);
  ASSERT_LT(committed, kImages);
  EXPECT_EQ(committed % kBatch, 0) << "a batch was half committed";
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM files WHERE vector IS NULL"), 0);

  // Resume: only the rest is embedded.
  auto resumed = run_clipkit(with_model({"index", "--db", db.string(), dir.string(), "--json"}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  json report = json::parse(resumed.out);
  EXPECT_EQ(report["unchanged"], committed);
  EXPECT_EQ(report["embedded"], kImages - committed);
  EXPECT_EQ(report["vectors"], kImages);
  EXPECT_EQ(integrity(db), "ok");

  // The result equals an index made in one go.
  const fs::path fresh = tmp.path() / "fresh.clipkit";
  ASSERT_EQ(run_clipkit(with_model({"index", "--db", fresh.string(), dir.string(), "-q"})).exit_code, 0);
  for (const char* file : {"d0/i0.bmp", "d1/i150.bmp", "d3/i399.bmp"}) {
    auto a = run_clipkit({"search", "--db", db.string(), "--like", (dir / file).string(), "-k", "5", "--json"});
    auto b = run_clipkit({"search", "--db", fresh.string(), "--like", (dir / file).string(), "-k", "5", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    auto ra = json::parse(a.out)["results"], rb = json::parse(b.out)["results"];
    ASSERT_EQ(ra.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(ra[i]["path"], rb[i]["path"]) << file << " rank " << i;
      EXPECT_NEAR(ra[i]["score"].get<double>(), rb[i]["score"].get<double>(), 1e-6);
    }
  }
}

TEST(CliIndex, SearchDedupeClassifyAndErrors) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos", db = tmp.path() / "p.clipkit";
  fs::create_directories(dir);
  for (const char* name : {"chelsea.png", "rocket.jpg", "astronaut.png", "coffee.png", "camera.png"})
    fs::copy_file(testing::images_dir() / name, dir / name);
  fs::copy_file(dir / "rocket.jpg", dir / "rocket2.jpg");
  testing::write_bytes(dir / "bad.jpg", std::vector<uint8_t>{0xff, 0xd8, 0xff, 0x00});

  auto indexed = run_clipkit(with_model({"index", "--db", db.string(), dir.string()}));
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  EXPECT_NE(indexed.out.find("1 errors"), std::string::npos) << indexed.out;
  EXPECT_NE(indexed.out.find("bad.jpg"), std::string::npos) << indexed.out;

  // Search by text uses the model the index recorded when none is given.
  auto text = run_clipkit({"search", "--db", db.string(), "a rocket", "-k", "3"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 3) << text.out;
  EXPECT_EQ(text.out.rfind("1\t", 0), 0u) << text.out;

  auto image = run_clipkit(with_model({"search", "--db", db.string(), "--image", (dir / "rocket.jpg").string(), "-k", "2",
                                       "--json"}));
  ASSERT_EQ(image.exit_code, 0) << image.err;
  auto results = json::parse(image.out)["results"];
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_NEAR(r["score"].get<double>(), 1.0, 1e-5);
    EXPECT_NE(r["path"].get<std::string>().find("rocket"), std::string::npos);
  }

  auto groups = run_clipkit({"dedupe", "--db", db.string(), "--threshold", "0.9999", "--json"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  auto g = json::parse(groups.out)["groups"];
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(g[0].size(), 2u);
  EXPECT_EQ(fs::path(g[0][0]["path"].get<std::string>()).filename(), "rocket.jpg");
  EXPECT_EQ(fs::path(g[0][1]["path"].get<std::string>()).filename(), "rocket2.jpg");

  // classify --db: probabilities equal softmax over the ensembled label vectors,
  // computed here from the library directly.
  auto csv = run_clipkit({"classify", "--db", db.string(), "--label", "cat", "--label", "rocket", "--template",
                          "a photo of a {}.", "--template", "a drawing of a {}"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "path,label,prob,prob:cat,prob:rocket");
  const Clip clip = testing::tiny_clip();
  const size_t dim = static_cast<size_t>(clip.model().embed_dim());
  std::vector<float> labels;
  for (const std::string label : {"cat", "rocket"}) {
    auto e = clip.embed_texts(std::vector<std::string>{"a photo of a " + label + ".", "a drawing of a " + label});
    normalize_rows(e, dim);
    std::vector<float> mean(dim);
    for (size_t d = 0; d < dim; ++d) mean[d] = e[d] + e[dim + d];
    auto unit = normalized(mean);
    labels.insert(labels.end(), unit.begin(), unit.end());
  }
  int rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    const auto comma = line.find(',');
    const std::string path = line.substr(0, comma);
    auto expected = label_probs(normalized(clip.embed_image_file(path)), labels, clip.model().logit_scale());
    double cat = 0, rocket = 0;
    char best[32] = {};
    ASSERT_EQ(std::sscanf(line.c_str() + comma + 1, "%31[^,],%*f,%lf,%lf", best, &cat, &rocket), 3) << line;
    EXPECT_NEAR(cat, expected[0], 1e-4) << path;
    EXPECT_NEAR(rocket, expected[1], 1e-4) << path;
    EXPECT_EQ(std::string(best), expected[0] >= expected[1] ? "cat" : "rocket") << path;
  }
  EXPECT_EQ(rows, 6);
  auto js = run_clipkit({"classify", "--db", db.string(), "--label", "cat", "--label", "dog", "--json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  EXPECT_EQ(json::parse(js.out)["images"].size(), 6u);

  // Errors: one line on stderr, nothing on stdout, exit 1.
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"search", "--db", (tmp.path() / "none.clipkit").string(), "x"},
           {"search", "--db", db.string()},
           {"search", "--db", db.string(), "--like", (dir / "unknown.jpg").string()},
           {"search", "--db", db.string(), "--like", (dir / "bad.jpg").string()},
           {"classify", "--db", db.string(), "--label", "x", "--template", "no placeholder"},
           {"index", "--db", db.string(), (tmp.path() / "missing").string()}}) {
    auto r = run_clipkit(bad);
    EXPECT_EQ(r.exit_code, 1) << bad[0] << " " << bad.back() << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err.rfind("clipkit: error: ", 0), 0u) << r.err;
  }
  // Another model is refused, naming the recorded one.
  auto other = run_clipkit({"index", "--db", db.string(), dir.string(), "--model",
                            (testing::fixtures_dir() / "models/tiny_gelu/open_clip").string(), "--vocab",
                            testing::bpe_vocab().string()});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("another model"), std::string::npos) << other.err;
}

// Two `clipkit index` processes started together on a database that does not exist
// yet: both succeed, and every file is in it once, with a vector.
TEST(CliIndex, TwoIndexProcessesOnANewDatabase) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  constexpr int kImages = 8;
  for (int i = 0; i < kImages; ++i) testing::write_bmp(dir / std::string("i").append(std::to_string(i)).append(".bmp"), 64, 48, static_cast<uint32_t>(i));
  for (int round = 0; round < 4; ++round) {
    const fs::path db = tmp.path() / std::string("p").append(std::to_string(round)).append(".clipkit");
    testing::CliResult results[2];
    auto run = [&](int who) {
      results[who] = run_clipkit(with_model({"index", "--db", db.string(), dir.string(), "--batch", "2", "--threads",
                                             "1", "--json"}));
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    for (const auto& r : results) {
      ASSERT_EQ(r.exit_code, 0) << "round " << round << ": " << r.err;
      EXPECT_EQ(json::parse(r.out)["scanned"], kImages);
      EXPECT_EQ(json::parse(r.out)["errors"], 0);
    }
    EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM files"), kImages) << "round " << round;
    EXPECT_EQ(count_rows(db, "SELECT COUNT(DISTINCT path) FROM files"), kImages);
    EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM files WHERE length(vector) = 32 * 4"), kImages);
    EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM meta WHERE key = 'model'"), 1);
    EXPECT_EQ(integrity(db), "ok");
  }
}

TEST(CliIndex, DamagedVectorFailsSearchUntilIndexReembedsIt) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos", db = tmp.path() / "p.clipkit";
  for (int i = 0; i < 3; ++i) testing::write_bmp(dir / std::string("i").append(std::to_string(i)).append(".bmp"), 64, 48, static_cast<uint32_t>(i));
  ASSERT_EQ(run_clipkit(with_model({"index", "--db", db.string(), dir.string(), "-q"})).exit_code, 0);
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  const std::string damaged = (dir / "i1.bmp").string();
  ASSERT_EQ(sqlite3_exec(handle, ("UPDATE files SET vector = substr(vector, 1, 2) WHERE path = '" + damaged + "'").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_changes(handle), 1);
  sqlite3_close(handle);

  auto failed = run_clipkit({"search", "--db", db.string(), "--like", (dir / "i0.bmp").string()});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_TRUE(failed.out.empty()) << failed.out;
  EXPECT_EQ(failed.err, "clipkit: error: " + db.string() + ": the stored vector of " + damaged +
                            " (id 2) is damaged (2 bytes, expected 32 × 4); run clipkit index on this database to "
                            "re-embed it\n");

  auto repaired = run_clipkit(with_model({"index", "--db", db.string(), dir.string()}));
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_EQ(repaired.out.rfind("scanned 3 files: 1 embedded, 0 renamed, 0 reused, 2 unchanged, 0 removed, 0 errors, "
                               "re-embedded 1 damaged in ", 0), 0u) << repaired.out;
  auto again = run_clipkit(with_model({"index", "--db", db.string(), dir.string(), "--json"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["repaired"], 0);
  EXPECT_EQ(json::parse(again.out)["unchanged"], 3);

  auto found = run_clipkit({"search", "--db", db.string(), "--like", (dir / "i0.bmp").string(), "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(json::parse(found.out)["results"].size(), 2u);
}

std::string base64_decode(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t group = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    group = group << 6 | static_cast<uint32_t>(digits.find(c));
    if ((bits += 6) >= 8) out += static_cast<char>((group >> (bits -= 8)) & 0xff);
  }
  return out;
}

std::string tsv_unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

// Paths are bytes: one that is not UTF-8 comes back exactly through "path_b64", and
// tabs, newlines and backslashes are escaped in the TSV output.
TEST(CliIndex, PathsThatAreNotUtf8OrHoldTabsSurviveOutput) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos", db = tmp.path() / "p.clipkit";
  const std::vector<std::string> names = {"caf\xe9.bmp", "tab\there.bmp", "two\nlines.bmp", "back\\slash.bmp",
                                          "\xff\xfe\xfd.bmp", "query.bmp"};
  std::set<std::string> others;
  for (size_t i = 0; i < names.size(); ++i) {
    testing::write_bmp(dir / names[i], 64, 48, static_cast<uint32_t>(i));
    if (names[i] != "query.bmp") others.insert((dir / names[i]).string());
  }
  auto indexed = run_clipkit(with_model({"index", "--db", db.string(), dir.string(), "--json"}));
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  EXPECT_EQ(json::parse(indexed.out)["embedded"], 6);

  const std::string query = (dir / "query.bmp").string();
  auto js = run_clipkit({"search", "--db", db.string(), "--like", query, "-k", "10", "--json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  std::set<std::string> from_json;
  const json hits = json::parse(js.out);  // named: a temporary would die before the loop
  for (const auto& hit : hits["results"]) {
    const std::string path = hit["path"];
    if (hit.contains("path_b64")) {
      const std::string exact = base64_decode(hit["path_b64"]);
      EXPECT_NE(path.find("\xef\xbf\xbd"), std::string::npos) << "U+FFFD shows the invalid bytes: " << path;
      EXPECT_TRUE(exact.find("caf\xe9") != std::string::npos || exact.find("\xff\xfe\xfd") != std::string::npos) << path;
      from_json.insert(exact);
    } else {
      EXPECT_TRUE(path.find("caf") == std::string::npos && path.find(".bmp") == path.size() - 4) << path;
      from_json.insert(path);
    }
  }
  EXPECT_EQ(from_json, others);
  const std::string replaced = (dir / "caf\xef\xbf\xbd.bmp").string();
  EXPECT_NE(js.out.find(json(replaced).dump()), std::string::npos) << js.out;
  EXPECT_NE(js.out.find(json((dir / "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.bmp").string()).dump()), std::string::npos)
      << "one U+FFFD per invalid byte: " << js.out;

  auto tsv = run_clipkit({"search", "--db", db.string(), "--like", query, "-k", "10"});
  ASSERT_EQ(tsv.exit_code, 0) << tsv.err;
  std::istringstream lines(tsv.out);
  std::set<std::string> from_tsv;
  int rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    ASSERT_EQ(std::count(line.begin(), line.end(), '\t'), 2) << line;
    EXPECT_EQ(line.rfind(std::to_string(rows + 1) + "\t", 0), 0u) << line;
    from_tsv.insert(tsv_unescape(line.substr(line.rfind('\t') + 1)));
  }
  EXPECT_EQ(rows, 5);
  EXPECT_EQ(from_tsv, others);
  EXPECT_NE(tsv.out.find("/photos/tab\\there.bmp\n"), std::string::npos) << tsv.out;
  EXPECT_NE(tsv.out.find("/photos/two\\nlines.bmp\n"), std::string::npos) << tsv.out;
  EXPECT_NE(tsv.out.find("/photos/back\\\\slash.bmp\n"), std::string::npos) << tsv.out;

  // The other JSON outputs that carry indexed paths use the same encoding.
  auto groups = run_clipkit({"dedupe", "--db", db.string(), "--threshold", "-1", "--json"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  size_t b64 = 0;
  const json g = json::parse(groups.out);
  ASSERT_EQ(g["groups"].size(), 1u);
  for (const auto& m : g["groups"][0]) b64 += m.contains("path_b64");
  EXPECT_EQ(b64, 2u);
  auto labels = run_clipkit({"classify", "--db", db.string(), "--label", "cat", "--label", "dog", "--json"});
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  std::set<std::string> classified;
  const json l = json::parse(labels.out);
  for (const auto& image : l["images"])
    classified.insert(image.contains("path_b64") ? base64_decode(image["path_b64"]) : image["path"].get<std::string>());
  EXPECT_EQ(classified.size(), 6u);
  EXPECT_TRUE(classified.count((dir / "caf\xe9.bmp").string()));

  // A query text that is not UTF-8 is refused, naming it and the byte.
  auto bad = run_clipkit({"search", "--db", db.string(), "caf\xe9 au lait"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_EQ(bad.err, "clipkit: error: the query TEXT: not valid UTF-8 (byte offset 3 is 0xe9); texts must be UTF-8\n");
}

}  // namespace
}  // namespace clipkit
