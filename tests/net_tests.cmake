# The network layer's suites (troupe::net): one binary, one ctest test per case.
# Add a suite by appending its file to troupe_net_test_sources.
include(${doctest_DIR}/doctest.cmake)

set(troupe_net_test_sources
  test_main.cpp
  net_protocol_test.cpp
  net_protocol_batch_test.cpp
  net_protocol_stream_test.cpp
  net_protocol_timers_test.cpp
  net_utf8_test.cpp)

add_executable(troupe_net_tests ${troupe_net_test_sources})
target_link_libraries(troupe_net_tests PRIVATE troupe::net troupe_wire_proto doctest::doctest)
# The protocol state machine and other details are tested through their private headers.
target_include_directories(troupe_net_tests PRIVATE ${PROJECT_SOURCE_DIR}/framework/net/src)
target_compile_options(troupe_net_tests PRIVATE -Wall -Wextra)

# Names read "net/protocol: ...", so `ctest -R net/` selects these. A hang is a failure.
doctest_discover_tests(troupe_net_tests
  TEST_PREFIX "net/"
  PROPERTIES TIMEOUT 120)
