# troupe_protobuf_library(<target> <file.proto>...)
# Compiles .proto files with protoc (protobuf_generate) into a static library. Call it from
# the CMakeLists.txt at the root of the .proto tree: imports resolve against that directory
# and generated headers are included by the path relative to it
# (troupe/wire.proto -> #include "troupe/wire.pb.h").
function(troupe_protobuf_library target)
  add_library(${target} STATIC ${ARGN})
  protobuf_generate(TARGET ${target} LANGUAGE cpp
    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_BINARY_DIR}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
