# The test kit's own suite (troupe::testing): one binary, one ctest test per case.
include(${doctest_DIR}/doctest.cmake)

add_executable(troupe_testing_tests
  test_main.cpp
  deterministic_system_test.cpp
  explore_test.cpp)
target_link_libraries(troupe_testing_tests PRIVATE troupe::testing doctest::doctest)
target_compile_options(troupe_testing_tests PRIVATE -Wall -Wextra)

doctest_discover_tests(troupe_testing_tests
  TEST_PREFIX "testing/"
  PROPERTIES TIMEOUT 120)
