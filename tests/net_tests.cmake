# The network layer's suites (troupe::net): one binary, one ctest test per case.
# Add a suite by appending its file to troupe_net_test_sources.
include(${doctest_DIR}/doctest.cmake)

set(troupe_net_test_sources
  test_main.cpp
  net_codec_test.cpp
  net_protocol_test.cpp
  net_protocol_batch_test.cpp
  net_protocol_stream_test.cpp
  net_protocol_timers_test.cpp
  net_protocol_seeded_test.cpp
  net_utf8_test.cpp
  net_remote_test.cpp
  net_monitor_test.cpp
  net_shutdown_test.cpp
  net_simultaneous_connect_test.cpp
  net_inbox_test.cpp
  net_failure_test.cpp
  net_bad_input_test.cpp
  net_auth_test.cpp
  net_flow_test.cpp
  net_direct_writer_test.cpp
  net_link_outbox_test.cpp
  net_delivery_test.cpp
  net_batch_reader_test.cpp
  net_direct_send_test.cpp
  net_io_loop_test.cpp
  net_netns_test.cpp)

# The node that the multi-process suites start as a child process.
add_executable(troupe_net_test_node net/test_node.cpp)
target_link_libraries(troupe_net_test_node PRIVATE troupe::net)
# It answers questions through troupe::net::detail's test hooks (node_access.hpp).
target_include_directories(troupe_net_test_node PRIVATE ${PROJECT_SOURCE_DIR}/framework/net/src)
target_compile_options(troupe_net_test_node PRIVATE -Wall -Wextra)

add_executable(troupe_net_tests ${troupe_net_test_sources})
target_link_libraries(troupe_net_tests
  PRIVATE troupe::net troupe_wire_proto troupe_test_messages doctest::doctest)
# The protocol state machine and other details are tested through their private headers.
target_include_directories(troupe_net_tests
  PRIVATE ${PROJECT_SOURCE_DIR}/framework/net/src ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(troupe_net_tests PRIVATE -Wall -Wextra)
target_compile_definitions(troupe_net_tests
  PRIVATE TROUPE_NET_TEST_NODE="$<TARGET_FILE:troupe_net_test_node>")
add_dependencies(troupe_net_tests troupe_net_test_node)

# Names read "net/protocol: ...", so `ctest -R net/` selects these. A hang is a failure.
doctest_discover_tests(troupe_net_tests
  TEST_PREFIX "net/"
  PROPERTIES TIMEOUT 120)
