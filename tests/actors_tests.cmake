# The pattern actors (troupe::actors): one binary, one ctest test per case.
include(${doctest_DIR}/doctest.cmake)

add_executable(troupe_actors_tests
  test_main.cpp
  actors_bounded_buffer_test.cpp
  actors_semaphore_test.cpp
  actors_shared_dict_test.cpp
  actors_banker_test.cpp
  actors_barrier_test.cpp
  actors_event_test.cpp
  actors_hedge_test.cpp
  actors_protocol_test.cpp
  actors_rw_guard_test.cpp
  actors_supervisor_test.cpp
  actors_worker_pool_test.cpp)
target_link_libraries(troupe_actors_tests PRIVATE troupe::actors troupe::testing troupe_actors_proto
                                                  doctest::doctest)
target_compile_options(troupe_actors_tests PRIVATE -Wall -Wextra)

# Names read "actors/bounded_buffer: ...", so `ctest -R actors/` selects these. A hang is a
# failure.
doctest_discover_tests(troupe_actors_tests
  TEST_PREFIX "actors/"
  PROPERTIES TIMEOUT 120)
