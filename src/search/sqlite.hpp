// search/sqlite.hpp — a thin RAII layer over SQLite: a connection, prepared statements
// with typed binds and reads, and transactions. Every failure throws clipkit::Error
// naming the database file and SQLite's message.
//
//   Database db("photos.clipkit");
//   Statement q(db, "SELECT path FROM files WHERE id = ?");
//   q.bind(1, id);
//   while (q.step()) std::string path = q.text(0);
//
// Not thread-safe: one thread uses a Database (and its Statements) at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace clipkit::search {

class Database {
 public:
  // Opens (creating when `create`) the file; sets WAL mode and a busy timeout.
  Database(const std::filesystem::path& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  int64_t last_insert_id() const;
  int changes() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, columns 0-based (as SQLite).
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind_blob(int index, std::span<const uint8_t> bytes);
  Statement& bind_null(int index);
  bool step();   // true while a row is available
  void run();    // step to completion, then reset
  void reset();

  bool is_null(int column) const;
  int64_t integer(int column) const;
  std::string text(int column) const;
  std::span<const uint8_t> blob(int column) const;  // valid until the next step/reset

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE … COMMIT; rolls back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace clipkit::search
