// text/text_tables.hpp — data tables generated from Python's standard library by
// gen_tables.py (HTML5 entity names as html.entities.html5, single-byte code pages
// as Python's codecs, with ftfy's "sloppy" treatment of unassigned bytes).
//
//   const EntityEntry* e = find_entity(kHtml5Entities, kHtml5EntityCount, "amp;");
#pragma once

#include <cstddef>
#include <string_view>

namespace clipkit::text {

struct EntityEntry {
  const char* name;   // without the leading '&'; sorted by bytes
  const char* value;  // UTF-8
};

// Python's html.entities.html5: names with and without the trailing ';'.
extern const EntityEntry kHtml5Entities[];
extern const size_t kHtml5EntityCount;

// ftfy's extra upper-cased entities ("NTILDE;" -> "Ñ"): the all-lower-case HTML5
// names ending in ';', upper-cased, where that is not already an entity.
extern const EntityEntry kUppercaseEntities[];
extern const size_t kUppercaseEntityCount;

// A single-byte code page: the code point each byte decodes to. "Sloppy" code
// pages (ftfy's sloppy-windows-125x) decode unassigned bytes to the Latin-1 code
// point and byte 0x1A to U+FFFD; the others have no unassigned bytes.
struct SingleByteCodec {
  const char* name;
  bool sloppy;
  char32_t decode[256];
};

// In ftfy's order: latin-1, sloppy-windows-1252, -1251, -1250, -1253, -1254,
// -1257, iso-8859-2, macroman, cp437.
extern const SingleByteCodec kCodecs[];
extern const size_t kCodecCount;

// Binary search in a sorted entity table; nullptr when absent.
const EntityEntry* find_entity(const EntityEntry* table, size_t count, std::string_view name);

}  // namespace clipkit::text
