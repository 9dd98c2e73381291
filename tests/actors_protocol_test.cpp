// The Protobuf protocol of the pattern actors matches their C++ protocol: the error codes a
// remote client sees are the C++ enumerators, under the same names.

#include <algorithm>
#include <cctype>
#include <string>

#include <doctest/doctest.h>

#include "troupe/actors/error.hpp"
#include "troupe/actors/errors.pb.h"
#include "troupe/system.hpp"

using troupe::actors::actors_error;

TEST_CASE("protocol: every actors_error has the Protobuf ErrorCode of the same number and name") {
  int checked = 0;
  for (int code = 1;; ++code) {
    auto name = to_string(static_cast<actors_error>(code));
    if (name.rfind("actors_error(", 0) == 0)
      break; // past the last enumerator
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    REQUIRE(troupe::actors::ErrorCode_IsValid(code));
    CHECK(troupe::actors::ErrorCode_Name(static_cast<troupe::actors::ErrorCode>(code)) == name);
    ++checked;
  }
  // And no Protobuf code without a C++ enumerator.
  CHECK(checked == troupe::actors::ErrorCode_MAX);
  CHECK(checked == 11);
}

TEST_CASE("protocol: with add_error_names, the system renders pattern errors by name") {
  troupe::config cfg;
  troupe::actors::add_error_names(cfg);
  troupe::system sys{cfg};
  auto err = troupe::actors::make_error(actors_error::end_of_stream, "drained");
  CHECK(sys.engine().render(err) == "troupe::actors::end_of_stream (drained)");
  CHECK(sys.engine().render(troupe::actors::make_error(actors_error::closed)) ==
        "troupe::actors::closed");
}
