# The test kit's own suite (troupe::testing).
troupe_test_suite(troupe_testing_tests
  PREFIX "testing/"
  LIBS troupe::testing
  SOURCES deterministic_system_test.cpp explore_test.cpp)
