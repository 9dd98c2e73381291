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
