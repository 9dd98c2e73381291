// Texts put into `string` fields of the wire protocol: well-formed UTF-8 only.
#include <doctest/doctest.h>

#include "utf8.hpp"

using troupe::net::detail::is_valid_utf8;
using troupe::net::detail::to_wire_text;

TEST_CASE("utf8: well-formed text is accepted, ill-formed text is not") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x8e\xad")); // ü ß € 🎭
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));                                 // U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                           // past U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));                                   // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));                               // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));                               // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\x80"));                                       // lone continuation
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));                                   // cut short
  CHECK_FALSE(is_valid_utf8("\xff"));
}

TEST_CASE("utf8: to_wire_text replaces each bad byte and cuts at a character boundary") {
  CHECK(to_wire_text("ok") == "ok");
  CHECK(to_wire_text("a\xffz") == "a\xef\xbf\xbdz");
  CHECK(to_wire_text("\xe2\x82") == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(to_wire_text("ab\xe2\x82\xac", 4) == "ab"); // the euro sign would end past 4 bytes
  CHECK(to_wire_text("ab\xe2\x82\xac", 5) == "ab\xe2\x82\xac");
  CHECK(is_valid_utf8(to_wire_text(std::string(100, '\xfe'))));
}
