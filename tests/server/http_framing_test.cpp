// Request framing on raw bytes: a table of hand-made heads with the status and the words
// each refusal must give, the framing of those accepted, and chunked bodies.
#include "server/http_framing.hpp"

#include <gtest/gtest.h>

namespace clipkit::server {
namespace {

HeadLimits limits() {
  HeadLimits l;
  l.max_head_bytes = 1024;
  l.max_headers = 8;
  l.max_body_bytes = 1000;
  return l;
}

struct Case {
  const char* name;
  std::string head;
  int status;  // 0: accepted
  const char* words;
};

TEST(HttpFraming, RefusesWhatCannotBeFramedOneWay) {
  const std::string many_headers = [] {
    std::string h = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 9; ++i) h += "X-" + std::to_string(i) + ": y\r\n";
    return h + "\r\n";
  }();
  const std::vector<Case> cases = {
      {"two lengths", "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400, "2 Content-Length"},
      {"two lengths, cases", "POST /a HTTP/1.1\r\ncontent-length: 5\r\nCONTENT-LENGTH: 6\r\n\r\n", 400, "2 Content-Length"},
      {"length list", "POST /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400, "'5, 5' is not a decimal"},
      {"signed length", "POST /a HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400, "not a decimal"},
      {"encoded length", "POST /a HTTP/1.1\r\nContent-Length: %35\r\n\r\n", 400, "not a decimal"},
      {"empty length", "POST /a HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "not a decimal"},
      {"length overflow", "POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, "not a decimal"},
      {"huge length", "POST /a HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413,
       "Content-Length 99999999999 is over the upload limit of 1000 bytes"},
      {"just over", "POST /a HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413, "upload limit"},
      {"post without length", "POST /a HTTP/1.1\r\nHost: x\r\n\r\n", 411, "POST needs a Content-Length"},
      {"put without length", "PUT /a HTTP/1.1\r\n\r\n", 411, "PUT needs a Content-Length"},
      {"length and chunked", "POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"gzip coding", "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "'gzip, chunked' is not supported"},
      {"two codings", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "more than one Transfer-Encoding"},
      {"space before colon", "POST /a HTTP/1.1\r\nContent-Length : 5\r\n\r\n", 400, "not a token"},
      {"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "has no ':'"},
      {"folded", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400, "folded"},
      {"bare LF", "GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n", 400, "control character (byte 10)"},
      {"bare CR", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "control character (byte 13)"},
      {"NUL", std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26), 400, "control character (byte 0)"},
      {"no version", "GET /\r\n\r\n", 400, "is not 'METHOD TARGET HTTP/1.1'"},
      {"two spaces", "GET  / HTTP/1.1\r\n\r\n", 400, "is not 'METHOD TARGET HTTP/1.1'"},
      {"HTTP/2", "GET / HTTP/2.0\r\n\r\n", 505, "'HTTP/2.0' is not supported"},
      {"not HTTP", "GET / FTP/1.0\r\n\r\n", 400, "has no HTTP version"},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n", 400, "method 'G(T' is not a token"},
      {"unknown expectation", "POST /a HTTP/1.1\r\nContent-Length: 1\r\nExpect: magic\r\n\r\n", 417, "'magic' is not supported"},
      {"too many headers", many_headers, 431, "more than 8 header lines"},
      {"too long", "GET /" + std::string(1100, 'a') + " HTTP/1.1\r\n\r\n", 431, "over 1024 bytes"},
      {"GET", "GET /api/stats?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", 0, ""},
      {"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", 0, ""},
      {"DELETE without length", "DELETE /a HTTP/1.1\r\n\r\n", 0, ""},
      {"POST with length", "POST /a HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", 0, ""},
      {"POST empty", "POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0, ""},
      {"chunked", "POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n\r\n", 0, ""},
  };
  for (const auto& c : cases) {
    const HeadScan scan = scan_request_head(c.head, limits());
    if (c.status == 0) {
      EXPECT_FALSE(scan.refusal) << c.name << ": " << scan.refusal->message;
      continue;
    }
    ASSERT_TRUE(scan.refusal) << c.name << " was accepted";
    EXPECT_EQ(scan.refusal->status, c.status) << c.name << ": " << scan.refusal->message;
    EXPECT_NE(scan.refusal->message.find(c.words), std::string::npos)
        << c.name << ": '" << scan.refusal->message << "' lacks '" << c.words << "'";
    EXPECT_FALSE(scan.refusal->code.empty()) << c.name;
  }
}

TEST(HttpFraming, AcceptedHeadsSayHowTheBodyEnds) {
  auto head = [](const std::string& text) { return scan_request_head(text, limits()).head; };
  const std::string post = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n";
  EXPECT_EQ(head(post).framing, BodyFraming::content_length);
  EXPECT_EQ(head(post).content_length, 12u);
  EXPECT_EQ(head(post).size, post.size());
  EXPECT_EQ(head(post).method, "POST");
  EXPECT_EQ(head("GET / HTTP/1.1\r\n\r\n").framing, BodyFraming::none);
  EXPECT_EQ(head("POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n").framing, BodyFraming::none);
  EXPECT_EQ(head("POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n").framing, BodyFraming::chunked);
  const RequestHead expect = head("POST /a HTTP/1.1\r\nContent-Length: 3\r\nexpect: 100-Continue\r\n\r\n");
  EXPECT_TRUE(expect.expect_continue);
  EXPECT_EQ(expect.expect_at, std::string("POST /a HTTP/1.1\r\nContent-Length: 3\r\n").size());
  EXPECT_FALSE(head("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").expect_continue) << "no body to wait for";
}

TEST(HttpFraming, FindsTheHeadEndAcrossReads) {
  const std::string bytes = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
  EXPECT_EQ(find_head_end(bytes, 0), 27u);
  EXPECT_EQ(find_head_end(bytes, 26 - 3), 27u) << "resuming three bytes before the end of 26 bytes seen";
  EXPECT_EQ(find_head_end(std::string_view(bytes).substr(0, 26), 0), std::string_view::npos);
  EXPECT_FALSE(incomplete_head_refusal(1023, limits()));
  ASSERT_TRUE(incomplete_head_refusal(1024, limits()));
  EXPECT_EQ(incomplete_head_refusal(1024, limits())->status, 431);
}

TEST(HttpFraming, ChunkedBodies) {
  using State = ChunkedBodyScanner::State;
  const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  {
    ChunkedBodyScanner whole(1000);
    EXPECT_EQ(whole.feed(body + "GET /next"), State::complete);
    EXPECT_EQ(whole.framed_size(), body.size());
    EXPECT_EQ(whole.decoded_size(), 11u);
  }
  {
    ChunkedBodyScanner bytewise(1000);  // one byte more each time, as a slow client sends it
    for (size_t n = 0; n < body.size(); ++n) ASSERT_EQ(bytewise.feed(std::string_view(body).substr(0, n)), State::incomplete) << n;
    EXPECT_EQ(bytewise.feed(body), State::complete);
    EXPECT_EQ(bytewise.framed_size(), body.size());
  }
  const std::vector<std::tuple<const char*, std::string, uint64_t, int, const char*>> refused = {
      {"over the limit", "3e9\r\n", 1000, 413, "over the upload limit of 1000 bytes"},
      {"sum over the limit", "3e8\r\n" + std::string(1000, 'a') + "\r\n1\r\n", 1000, 413, "upload limit"},
      {"not hex", "xyz\r\n", 1000, 400, "'xyz' is not a hex number"},
      {"empty size", "\r\n", 1000, 400, "is not a hex number"},
      {"huge hex", "fffffffffffffffffff\r\n", 1000, 400, "not a hex number"},
      {"no CRLF after data", "2\r\nabcd", 1000, 400, "not followed by CRLF"},
      {"trailers", "0\r\nX-Trailer: 1\r\n\r\n", 1000, 400, "trailers are not supported"},
      {"endless size line", std::string(2000, '1'), 1000, 400, "over 1024 bytes"},
  };
  for (const auto& [name, bytes, limit, status, words] : refused) {
    ChunkedBodyScanner scanner(limit);
    ASSERT_EQ(scanner.feed(bytes), State::refused) << name;
    EXPECT_EQ(scanner.refusal().status, status) << name;
    EXPECT_NE(scanner.refusal().message.find(words), std::string::npos)
        << name << ": '" << scanner.refusal().message << "' lacks '" << words << "'";
  }
}

TEST(HttpFraming, RefusalResponseIsCompleteJson) {
  const std::string r = refusal_response({411, "invalid_argument", "POST needs a Content-Length header"});
  EXPECT_EQ(r.rfind("HTTP/1.1 411 Length Required\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  const std::string body = r.substr(r.find("\r\n\r\n") + 4);
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(body, R"({"error":{"code":"invalid_argument","message":"POST needs a Content-Length header"}})");
}

}  // namespace
}  // namespace clipkit::server
