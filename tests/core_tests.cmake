# The core suites (registry, coroutine actors, system): one binary, one ctest test per case.
# Names read "core/registry: ...", so `ctest -R core` selects these. Ordering and protocol
# cases run on the deterministic kit (troupe::testing); the rest in real time on 4 workers.
troupe_test_suite(troupe_core_tests
  PREFIX "core/"
  LIBS troupe::framework troupe::testing
  SOURCES
    registry_test.cpp name_cache_test.cpp system_test.cpp
    co_actor_test.cpp co_actor_receive_test.cpp co_actor_stash_test.cpp co_actor_reply_test.cpp
    co_actor_failure_test.cpp co_actor_deadline_test.cpp extension_test.cpp wait_clock_test.cpp)
