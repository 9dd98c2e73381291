# The network layer's suites (troupe::net): one binary, one ctest test per case.
include(${doctest_DIR}/doctest.cmake)

add_executable(troupe_net_tests
  test_main.cpp
  net_codec_test.cpp)
# The suites test the layer's private parts (codec, protocol) too.
target_include_directories(troupe_net_tests PRIVATE ${PROJECT_SOURCE_DIR}/framework/net/src)
target_link_libraries(troupe_net_tests
  PRIVATE troupe::net troupe_wire_proto troupe_test_messages doctest::doctest)
target_compile_options(troupe_net_tests PRIVATE -Wall -Wextra)

# Names read "net/codec: ...", so `ctest -R net/` selects these. A hang is a failure.
doctest_discover_tests(troupe_net_tests
  TEST_PREFIX "net/"
  PROPERTIES TIMEOUT 120)
