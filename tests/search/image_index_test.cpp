// ImageIndex with the tiny fixture model: incremental indexing, model identity, exact
// search against brute force, fp16 storage, duplicates, and databases that are not ours.
#include "clipkit/index.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "search/search_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_bmp;

const Clip& clip() {
  static const Clip c = testing::tiny_clip();
  return c;
}

std::vector<float> embed(const fs::path& file) { return normalized(clip().embed_image_file(file)); }

// A folder of `count` distinct images plus files the walk must skip or report.
void make_photos(const fs::path& dir, int count) {
  fs::create_directories(dir / "sub");
  for (int i = 0; i < count; ++i)
    write_bmp(dir / (i % 2 ? "sub" : "") / ("img" + std::to_string(i) + ".bmp"), 48 + i, 40, static_cast<uint32_t>(i));
  testing::write_bytes(dir / "broken.png", std::vector<uint8_t>{'n', 'o', 'p', 'e'});
  testing::write_bytes(dir / "notes.txt", std::vector<uint8_t>{'h', 'i'});
  write_bmp(dir / ".hidden.bmp", 32, 32, 999);
  fs::create_directories(dir / ".cache");
  write_bmp(dir / ".cache" / "thumb.bmp", 32, 32, 998);
}

IndexReport add(ImageIndex& index, const fs::path& dir, size_t batch = 3) {
  std::vector<fs::path> roots = {dir};
  IndexOptions options;
  options.batch = batch;
  return index.add(clip(), roots, options);
}

TEST(ImageIndex, FirstRunEmbedsImagesAndRecordsUnreadableOnes) {
  TempDir tmp;
  make_photos(tmp.path() / "photos", 5);
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  IndexReport r = add(*index, tmp.path() / "photos");
  EXPECT_EQ(r.scanned, 6u);  // 5 images + broken.png; not notes.txt, not dot files
  EXPECT_EQ(r.embedded, 5u);
  EXPECT_EQ(r.errors, 1u);
  ASSERT_EQ(r.error_files.size(), 1u);
  EXPECT_NE(r.error_files[0].first.find("broken.png"), std::string::npos);
  EXPECT_NE(r.error_files[0].second.find("broken.png"), std::string::npos) << r.error_files[0].second;
  IndexStats s = index->stats();
  EXPECT_EQ(s.files, 6u);
  EXPECT_EQ(s.vectors, 5u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.dim, clip().model().embed_dim());
  ASSERT_TRUE(s.model.has_value());

  // The stored vectors are the model's, normalized.
  for (const IndexedFile& f : index->files()) {
    if (!f.error.empty()) continue;
    EXPECT_EQ(f.hash.size(), 64u);
    EXPECT_GE(testing::cosine(index->vector(f.id), embed(f.path)), testing::kMinCosine) << f.path;
  }

  // A rerun with nothing changed embeds nothing and retries nothing.
  IndexReport again = add(*index, tmp.path() / "photos");
  EXPECT_EQ(again.unchanged, 6u);
  EXPECT_EQ(again.embedded + again.errors + again.renamed + again.reused + again.removed, 0u);
}

TEST(ImageIndex, RerunHandlesAddModifyRenameTouchDelete) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  make_photos(dir, 6);
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, dir);
  const auto before = index->find(dir / "img2.bmp");
  ASSERT_TRUE(before.has_value());

  write_bmp(dir / "new.bmp", 50, 50, 100);                    // add
  write_bmp(dir / "img0.bmp", 48, 40, 101);                   // modify (new content)
  testing::age_file(dir / "img0.bmp", 100);
  fs::create_directories(dir / "moved");
  fs::rename(dir / "img2.bmp", dir / "moved" / "renamed.bmp");  // rename/move
  testing::age_file(dir / "img4.bmp", 50);                    // touch: same bytes, new mtime
  fs::remove(dir / "sub" / "img3.bmp");                       // delete
  fs::copy_file(dir / "sub" / "img1.bmp", dir / "copy.bmp");  // copy of indexed content

  IndexReport r = add(*index, dir);
  EXPECT_EQ(r.embedded, 2u) << "new.bmp and the modified img0.bmp";
  EXPECT_EQ(r.renamed, 1u);
  EXPECT_EQ(r.reused, 2u) << "the touched img4.bmp and copy.bmp";
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(r.errors, 0u) << "broken.png is unchanged, not retried";
  EXPECT_EQ(r.unchanged, 3u) << "img1, img5, broken.png";

  auto moved = index->find(dir / "moved" / "renamed.bmp");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->id, before->id) << "a move keeps the row (and its vector)";
  EXPECT_FALSE(index->find(dir / "img2.bmp").has_value());
  EXPECT_FALSE(index->find(dir / "sub" / "img3.bmp").has_value());
  EXPECT_EQ(index->stats().vectors, 7u);
  // Every stored vector is what the model gives the file now.
  for (const IndexedFile& f : index->files()) {
    if (f.error.empty()) {
      EXPECT_GE(testing::cosine(index->vector(f.id), embed(f.path)), testing::kMinCosine) << f.path;
    }
  }
}

TEST(ImageIndex, IndexingAnotherFolderKeepsTheFirst) {
  TempDir tmp;
  make_photos(tmp.path() / "a", 3);
  write_bmp(tmp.path() / "b" / "x.bmp", 40, 40, 77);
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, tmp.path() / "a");
  IndexReport r = add(*index, tmp.path() / "b" / "x.bmp");
  EXPECT_EQ(r.embedded, 1u);
  EXPECT_EQ(r.removed, 0u);
  EXPECT_EQ(index->stats().vectors, 4u);
}

TEST(ImageIndex, MissingRootIsAnErrorAndChangesNothing) {
  TempDir tmp;
  make_photos(tmp.path() / "a", 2);
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, tmp.path() / "a");
  std::vector<fs::path> roots = {tmp.path() / "a", tmp.path() / "nope"};
  try {
    index->add(clip(), roots);
    FAIL() << "no error for a missing root";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  EXPECT_EQ(index->stats().files, 3u);
}

TEST(ImageIndex, RefusesAnotherModel) {
  TempDir tmp;
  make_photos(tmp.path() / "photos", 2);
  {
    auto index = ImageIndex::open(tmp.path() / "p.clipkit");
    add(*index, tmp.path() / "photos");
  }
  write_bmp(tmp.path() / "photos" / "late.bmp", 40, 40, 55);
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  const Clip other = testing::tiny_clip(/*gelu=*/true);
  std::vector<fs::path> roots = {tmp.path() / "photos"};
  try {
    index->add(other, roots);
    FAIL() << "indexed with a second model";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("another model"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tiny_quickgelu"), std::string::npos) << e.what();
  }
  EXPECT_EQ(index->stats().files, 3u);
  EXPECT_FALSE(index->find(tmp.path() / "photos" / "late.bmp").has_value());
  // The same model loaded again (another checkpoint format of it) is accepted.
  ClipOptions options;
  options.vocab = testing::bpe_vocab();
  const Clip same = Clip::load(testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt", options);
  EXPECT_EQ(index->add(same, roots).embedded, 1u);
}

TEST(ImageIndex, ExactSearchEqualsBruteForce) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  fs::create_directories(dir);
  for (const char* name : {"astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg", "logo.png",
                           "CLIP.png", "green_palette.png"})
    fs::copy_file(testing::images_dir() / name, dir / name);
  for (int i = 0; i < 12; ++i) write_bmp(dir / ("gen" + std::to_string(i) + ".bmp"), 64, 48, static_cast<uint32_t>(i));
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, dir, 5);

  // Brute force, independently: each file through the model, dot products in double.
  std::vector<std::pair<std::string, std::vector<float>>> truth;
  for (const auto& entry : fs::directory_iterator(dir)) truth.emplace_back(entry.path().string(), embed(entry.path()));
  for (const std::string text : {"a photo of a cat", "a rocket launch", "coffee"}) {
    const std::vector<float> query = normalized(clip().embed_text(text));
    std::vector<std::pair<double, std::string>> expected;
    for (const auto& [path, v] : truth) {
      double dot = 0;
      for (size_t d = 0; d < v.size(); ++d) dot += static_cast<double>(v[d]) * query[d];
      expected.emplace_back(dot, path);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    SearchOptions options;
    options.k = 7;
    options.method = SearchMethod::exact;
    auto hits = index->search(query, options);
    ASSERT_EQ(hits.size(), 7u);
    for (size_t i = 0; i < hits.size(); ++i) {
      EXPECT_NEAR(hits[i].score, expected[i].first, 2e-5) << text << " rank " << i;
      // Rank order may swap only between near-ties.
      if (hits[i].path != expected[i].second) {
        EXPECT_NEAR(expected[i].first, expected[i + 1].first, 2e-5) << text << " rank " << i << ": " << hits[i].path;
      }
    }
    // Threshold: exactly the brute-force scores at or above it.
    const float threshold = static_cast<float>(expected[4].first);
    options.k = 100;
    options.threshold = threshold - 1e-6f;
    EXPECT_EQ(index->search(query, options).size(), 5u);
  }
  // Like an indexed image: itself excluded, its exact twin first.
  fs::copy_file(dir / "rocket.jpg", dir / "rocket_twin.jpg");
  add(*index, dir);
  auto rocket = index->find(dir / "rocket.jpg");
  ASSERT_TRUE(rocket);
  SearchOptions like;
  like.k = 3;
  like.exclude = rocket->id;
  auto hits = index->search(index->vector(rocket->id), like);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(fs::path(hits[0].path).filename(), "rocket_twin.jpg");
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5f);
  for (const auto& h : hits) EXPECT_NE(h.id, rocket->id);

  // A query of the wrong dimension is an error, not a crash.
  std::vector<float> wrong(5, 0.1f);
  EXPECT_THROW(index->search(wrong), Error);
}

TEST(ImageIndex, HnswSearchAgreesWithExactOnSmallIndex) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  for (int i = 0; i < 40; ++i) write_bmp(dir / std::string("g").append(std::to_string(i)).append(".bmp"), 40, 40, static_cast<uint32_t>(i));
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, dir, 8);
  SearchOptions hnsw;
  hnsw.method = SearchMethod::hnsw;
  const auto query = normalized(clip().embed_text("a red square"));
  EXPECT_THROW(index->search(query, hnsw), Error) << "no graph built yet";
  index->build_hnsw({.m = 16, .ef_construction = 100, .threads = 2});
  EXPECT_TRUE(index->stats().hnsw_fresh);
  SearchOptions exact;
  exact.method = SearchMethod::exact;
  auto a = index->search(query, hnsw), b = index->search(query, exact);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].score, b[i].score, 1e-5f) << i;
  // A change to the vectors makes the graph stale; a reopened index sees that too.
  write_bmp(dir / "late.bmp", 40, 40, 500);
  add(*index, dir);
  EXPECT_FALSE(index->stats().hnsw_fresh);
  EXPECT_THROW(index->search(query, hnsw), Error);
  // A damaged graph file is refused by checksum.
  index->build_hnsw({.m = 16, .ef_construction = 100, .threads = 2});
  {
    auto bytes = testing::read_bytes(tmp.path() / "p.clipkit.hnsw");
    bytes[bytes.size() / 2] ^= 0xff;
    testing::write_bytes(tmp.path() / "p.clipkit.hnsw", bytes);
  }
  auto reopened = ImageIndex::open(tmp.path() / "p.clipkit", false);
  EXPECT_THROW(reopened->search(query, hnsw), Error);
  EXPECT_EQ(reopened->search(query, exact).size(), 10u) << "exact search still works";
}

TEST(ImageIndex, Fp16VectorsAreCloseToFp32) {
  TempDir tmp;
  make_photos(tmp.path() / "photos", 4);
  auto index = ImageIndex::open(tmp.path() / "h.clipkit");
  std::vector<fs::path> roots = {tmp.path() / "photos"};
  IndexOptions options;
  options.vector_type = VectorType::f16;
  index->add(clip(), roots, options);
  EXPECT_EQ(index->stats().vector_type, VectorType::f16);
  for (const IndexedFile& f : index->files()) {
    if (!f.error.empty()) continue;
    auto stored = index->vector(f.id), fresh = embed(f.path);
    EXPECT_LT(testing::max_abs_diff(stored, fresh), 1e-3) << f.path;
  }
}

TEST(ImageIndex, DuplicatesGroupCopiesAndReencodings) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  fs::create_directories(dir);
  for (const char* name : {"chelsea.png", "chelsea.bmp", "rocket.jpg", "astronaut.png", "camera.png", "coffee.png"})
    fs::copy_file(testing::images_dir() / name, dir / name);
  fs::copy_file(dir / "rocket.jpg", dir / "rocket copy.jpg");
  fs::copy_file(dir / "chelsea.png", dir / "chelsea again.png");
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  add(*index, dir);
  auto groups = index->duplicates(0.9999f);
  ASSERT_EQ(groups.size(), 2u);
  auto names = [](const std::vector<SearchHit>& g) {
    std::vector<std::string> n;
    for (const auto& h : g) n.push_back(fs::path(h.path).filename().string());
    return n;
  };
  EXPECT_EQ(names(groups[0]), (std::vector<std::string>{"chelsea again.png", "chelsea.bmp", "chelsea.png"}));
  EXPECT_EQ(names(groups[1]), (std::vector<std::string>{"rocket copy.jpg", "rocket.jpg"}));
  for (const auto& g : groups)
    for (const auto& h : g) EXPECT_GE(h.score, 0.9999f);
  EXPECT_TRUE(index->duplicates(1.01f).empty());
}

TEST(ImageIndex, RefusesFilesThatAreNotClipkitIndexes) {
  TempDir tmp;
  testing::write_bytes(tmp.path() / "text.clipkit", std::vector<uint8_t>(4096, 'x'));
  try {
    ImageIndex::open(tmp.path() / "text.clipkit");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data) << e.what();
    EXPECT_NE(std::string(e.what()).find("text.clipkit"), std::string::npos) << e.what();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((tmp.path() / "other.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    ImageIndex::open(tmp.path() / "other.db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data);
    EXPECT_NE(std::string(e.what()).find("not a clipkit index"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ImageIndex::open(tmp.path() / "absent.clipkit", false), Error);
  EXPECT_FALSE(fs::exists(tmp.path() / "absent.clipkit"));
}

// Runs SQL on the database file behind the library's back (how damage arrives).
void sql(const fs::path& db_path, const std::string& statement, const std::string& path = "") {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, statement.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  if (!path.empty()) sqlite3_bind_text(q, 1, path.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(q), SQLITE_DONE) << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_changes(db), 1) << statement;
  sqlite3_finalize(q);
  sqlite3_close(db);
}

// A blob cut to 2 bytes, and one whose 6th value is a NaN (f32 0x7fc00000).
constexpr const char* kCutVector = "UPDATE files SET vector = substr(vector, 1, 2) WHERE path = ?";
constexpr const char* kNanVector =
    "UPDATE files SET vector = substr(vector, 1, 20) || x'0000c07f' || substr(vector, 25) WHERE path = ?";

void expect_damaged_error(const std::function<void()>& call, const std::string& path, const std::string& problem) {
  try {
    call();
    ADD_FAILURE() << "no error for the damaged vector of " << path;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data) << message;
    EXPECT_NE(message.find("the stored vector of " + path + " (id "), std::string::npos) << message;
    EXPECT_NE(message.find("is damaged (" + problem), std::string::npos) << message;
    EXPECT_NE(message.find("run clipkit index"), std::string::npos) << message;
  }
}

TEST(ImageIndex, DamagedVectorsAreReportedThenReembedded) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos", db = tmp.path() / "p.clipkit";
  make_photos(dir, 4);
  const std::string cut = (dir / "img0.bmp").string(), nan = (dir / "sub" / "img1.bmp").string();
  std::vector<IndexedFile> before;
  {
    auto index = ImageIndex::open(db);
    add(*index, dir);
    before = index->files();
  }
  sql(db, kCutVector, cut);
  sql(db, kNanVector, nan);

  auto index = ImageIndex::open(db);
  const std::vector<float> query(static_cast<size_t>(clip().model().embed_dim()), 0.1f);
  SearchOptions ten;
  ten.k = 10;
  // Search fails (it never silently skips rows), naming the first damaged row by id.
  expect_damaged_error([&] { index->search(query); }, cut, "2 bytes, expected 32 × 4");
  expect_damaged_error([&] { index->vector(index->find(nan)->id); }, nan, "value 5 is not finite");
  expect_damaged_error([&] { index->duplicates(0.9f); }, cut, "2 bytes");

  IndexReport r = add(*index, dir);
  EXPECT_EQ(r.repaired, 2u);
  EXPECT_EQ(r.embedded, 2u);
  EXPECT_EQ(r.unchanged, 3u) << "img2, img3, broken.png";
  EXPECT_EQ(r.errors + r.removed + r.renamed + r.reused, 0u);
  // Nothing else lost: the same rows (ids, hashes, the error row) as before.
  const std::vector<IndexedFile> after = index->files();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].id, before[i].id) << after[i].path;
    EXPECT_EQ(after[i].path, before[i].path);
    EXPECT_EQ(after[i].hash, before[i].hash);
    EXPECT_EQ(after[i].error, before[i].error);
    if (after[i].error.empty()) {
      EXPECT_GE(testing::cosine(index->vector(after[i].id), embed(after[i].path)), testing::kMinCosine) << after[i].path;
    }
  }
  EXPECT_EQ(index->search(query, ten).size(), 4u);
  IndexReport again = add(*index, dir);
  EXPECT_EQ(again.repaired, 0u);
  EXPECT_EQ(again.unchanged, 5u);
}

TEST(ImageIndex, DamagedRowsOutsideTheRootsAreRepairedToo) {
  TempDir tmp;
  const fs::path db = tmp.path() / "p.clipkit";
  make_photos(tmp.path() / "a", 3);
  write_bmp(tmp.path() / "b" / "x.bmp", 40, 40, 77);
  auto index = ImageIndex::open(db);
  add(*index, tmp.path() / "a");
  add(*index, tmp.path() / "b");
  const std::string kept = (tmp.path() / "a" / "img0.bmp").string(), gone = (tmp.path() / "a" / "img2.bmp").string();
  sql(db, kCutVector, kept);
  sql(db, kNanVector, gone);
  fs::remove(gone);

  // Indexing only b repairs a's damaged rows: the file still there is embedded again,
  // the one that is gone becomes an error row (kept, and read again if it comes back).
  IndexReport r = add(*index, tmp.path() / "b");
  EXPECT_EQ(r.repaired, 1u);
  EXPECT_EQ(r.embedded, 1u);
  EXPECT_EQ(r.errors, 1u);
  ASSERT_EQ(r.error_files.size(), 1u);
  EXPECT_EQ(r.error_files[0].first, gone);
  EXPECT_EQ(r.unchanged, 1u) << "x.bmp";
  EXPECT_EQ(r.removed, 0u);
  EXPECT_GE(testing::cosine(index->vector(index->find(kept)->id), embed(kept)), testing::kMinCosine);
  ASSERT_TRUE(index->find(gone).has_value());
  EXPECT_NE(index->find(gone)->error.find("img2.bmp"), std::string::npos) << index->find(gone)->error;
  const std::vector<float> query(static_cast<size_t>(clip().model().embed_dim()), 0.1f);
  SearchOptions ten;
  ten.k = 10;
  EXPECT_EQ(index->search(query, ten).size(), 3u) << "img0, img1, x";
  IndexStats s = index->stats();
  EXPECT_EQ(s.files, 5u);
  EXPECT_EQ(s.vectors, 3u);

  write_bmp(gone, 50, 40, 2);  // back again (same content as before)
  IndexReport back = add(*index, tmp.path() / "b");
  EXPECT_EQ(back.unchanged, 1u);
  EXPECT_EQ(back.errors + back.embedded + back.repaired, 0u) << "outside the roots, a readable error row waits";
  IndexReport under = add(*index, tmp.path() / "a");
  EXPECT_EQ(under.embedded, 1u) << "img2.bmp, read again";
  EXPECT_EQ(under.unchanged, 3u);
  EXPECT_EQ(index->stats().vectors, 4u);
}

// Two indexers (own connections, as two processes would have) start together on a
// database that does not exist yet: both succeed and every file is in it once.
TEST(ImageIndex, TwoIndexersOnANewDatabaseBothSucceed) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "photos";
  make_photos(dir, 6);
  (void)clip();  // loaded before the race
  for (int round = 0; round < 6; ++round) {
    const fs::path db = tmp.path() / std::string("p").append(std::to_string(round)).append(".clipkit");
    std::atomic<int> ready{0};
    std::string errors[2];
    IndexReport reports[2];
    auto run = [&](int who) {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      try {
        auto index = ImageIndex::open(db);
        reports[who] = add(*index, dir, 2);
      } catch (const std::exception& e) {
        errors[who] = e.what();
      }
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    ASSERT_EQ(errors[0], "") << "round " << round;
    ASSERT_EQ(errors[1], "") << "round " << round;
    for (const IndexReport& r : reports) EXPECT_EQ(r.scanned, 7u);
    auto index = ImageIndex::open(db, false);
    const IndexStats s = index->stats();
    EXPECT_EQ(s.files, 7u) << "round " << round;
    EXPECT_EQ(s.vectors, 6u);
    EXPECT_EQ(s.dim, clip().model().embed_dim());
    std::set<std::string> paths;
    for (const IndexedFile& f : index->files()) paths.insert(f.path);
    EXPECT_EQ(paths.size(), 7u);
    EXPECT_EQ(add(*index, dir).unchanged, 7u);
  }
}

}  // namespace
}  // namespace clipkit
