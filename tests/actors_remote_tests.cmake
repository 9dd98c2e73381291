# The pattern actors serving remote clients over troupe::net (their Protobuf protocols): a binary
# of its own, since it links the network layer, which the actors' own suite does not need.
include(${doctest_DIR}/doctest.cmake)

# A remote client process that speaks only the patterns' Protobuf protocols.
add_executable(troupe_actors_pattern_client actors_remote/pattern_client.cpp)
target_link_libraries(troupe_actors_pattern_client
  PRIVATE troupe::actors_net troupe::protobuf troupe_actors_proto)
target_compile_options(troupe_actors_pattern_client PRIVATE -Wall -Wextra)

add_executable(troupe_actors_remote_tests
  test_main.cpp
  actors_remote_buffer_test.cpp
  actors_remote_processes_test.cpp
  actors_remote_patterns_test.cpp
  actors_remote_shared_test.cpp)
target_link_libraries(troupe_actors_remote_tests
  PRIVATE troupe::actors_net troupe::protobuf troupe_actors_proto doctest::doctest)
target_include_directories(troupe_actors_remote_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(troupe_actors_remote_tests PRIVATE -Wall -Wextra)
target_compile_definitions(troupe_actors_remote_tests
  PRIVATE TROUPE_PATTERN_CLIENT="$<TARGET_FILE:troupe_actors_pattern_client>")
add_dependencies(troupe_actors_remote_tests troupe_actors_pattern_client)

# Names read "actors/remote/...: ...", so `ctest -R actors/` selects them with the actors' own.
# A hang is a failure.
doctest_discover_tests(troupe_actors_remote_tests
  TEST_PREFIX "actors/remote/"
  PROPERTIES TIMEOUT 120)

# A node serving a bounded buffer named "buffer", for clients in other processes and languages.
add_executable(troupe_actors_pattern_server actors_remote/pattern_server.cpp)
target_link_libraries(troupe_actors_pattern_server PRIVATE troupe::actors_net)
target_compile_options(troupe_actors_pattern_server PRIVATE -Wall -Wextra)
