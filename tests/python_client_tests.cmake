# The Python client (samples/python) against the C++ side of the wire protocol.
if(NOT TARGET troupe_python_wire)
  return() # samples off, or no /usr/bin/python3
endif()

# A wire protocol peer without CAF's runtime: the C++ state machine and codec on a socket.
add_executable(net_protocol_peer net/protocol_peer.cpp)
target_include_directories(net_protocol_peer PRIVATE ${PROJECT_SOURCE_DIR}/framework/net/src)
target_link_libraries(net_protocol_peer
  PRIVATE troupe::net troupe_wire_proto troupe_test_messages)
target_compile_options(net_protocol_peer PRIVATE -Wall -Wextra)

# The test's own message types for Python (troupe.test.Ping/Pong), generated like wire_pb2.
set(troupe_python_test_pb2 ${CMAKE_CURRENT_BINARY_DIR}/python_pb2)
troupe_python_protos(troupe_python_test_messages ${troupe_python_test_pb2}
                     ${CMAKE_CURRENT_SOURCE_DIR}/proto troupe/test/messages.proto)

# The pattern actors' messages (troupe.actors.Put, Item, Error, ...), beside the test's own.
troupe_python_protos(troupe_python_actors_messages ${troupe_python_test_pb2}
                     ${PROJECT_SOURCE_DIR}/proto troupe/actors/errors.proto
                     troupe/actors/bounded_buffer.proto)

set(troupe_python_env
  "PYTHONPATH=${TROUPE_PYTHON_PB2_DIR}:${troupe_python_test_pb2}:${PROJECT_SOURCE_DIR}/samples/python"
  "TROUPE_PROTOCOL_PEER=$<TARGET_FILE:net_protocol_peer>"
  "TROUPE_CLIENT=${PROJECT_BINARY_DIR}/samples/python/troupe_client"
  "TROUPE_TEST_NODE=$<TARGET_FILE:troupe_net_test_node>"
  "TROUPE_PING_PONG=$<TARGET_FILE:sample_ping_pong>"
  "TROUPE_PATTERN_SERVER=$<TARGET_FILE:troupe_actors_pattern_server>")

# add_python_client_test(<file> <description>): one unittest module, one ctest test.
function(add_python_client_test file description)
  set(name "net/python client: ${description}")
  add_test(NAME ${name}
           COMMAND ${TROUPE_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/python/${file} -v)
  # A hang is a failure.
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${troupe_python_env}" TIMEOUT 120)
endfunction()

add_python_client_test(test_client_encoding.py
  "framing, proofs and batches match docs/wire-protocol.md (no node)")
add_python_client_test(test_client_against_peer.py
  "handshake, send, request, errors, monitor against the C++ protocol state machine")
add_python_client_test(test_client_against_node.py
  "request, error reply, monitor and down, secret against C++ nodes (test node, ping_pong)")
add_python_client_test(test_client_buffer.py
  "puts and takes through a troupe bounded buffer in its Protobuf protocol")
