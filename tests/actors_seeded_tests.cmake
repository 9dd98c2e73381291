# The pattern actors under seeded interleavings (troupe::testing::explore, 100 seeds each).
troupe_test_suite(troupe_actors_seeded_tests
  PREFIX "actors/"
  LIBS troupe::actors troupe::testing
  SOURCES actors_seeded_test.cpp)
