// fuzz/fuzz_cluster.cpp — the cluster's message decoders (cluster/messages.hpp) on
// arbitrary bytes: what a worker, shard or searcher reads from NATS. The first byte picks
// the decoder; a message that decodes must encode back to the same bytes.
#include <cstring>

#include "cluster/messages.hpp"
#include "fuzz_support.hpp"

using namespace clipkit::cluster;

namespace {

template <class M>
void same_bytes(const M& m, std::span<const uint8_t> in) {
  const std::vector<uint8_t> out = encode(m);
  FUZZ_CHECK(out.size() == in.size() && std::memcmp(out.data(), in.data(), in.size()) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto in = clipkit::fuzz::bytes(data + 1, size - 1);
  clipkit::fuzz::run([&] {
    switch (data[0] % 5) {
      case 0: same_bytes(decode_job(in, "fuzz job"), in); break;
      case 1: same_bytes(decode_result(in, "fuzz result"), in); break;
      case 2: same_bytes(decode_failure(in, "fuzz failure"), in); break;
      case 3: {
        const QueryMessage q = decode_query(in, "fuzz query");
        FUZZ_CHECK(q.k >= 1 && !q.vector.empty());
        break;  // a threshold flag of 0 may carry any float after it: not a byte-exact round trip
      }
      default: same_bytes(decode_answer(in, "fuzz answer"), in); break;
    }
  });
  return 0;
}
