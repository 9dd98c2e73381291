# Protobuf messages as actor messages (troupe/protobuf.hpp).
add_subdirectory(proto)
add_executable(troupe_protobuf_tests protobuf_test.cpp)
target_link_libraries(troupe_protobuf_tests PRIVATE troupe::protobuf troupe_test_messages doctest::doctest)
add_test(NAME protobuf COMMAND troupe_protobuf_tests)
