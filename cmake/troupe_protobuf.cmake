# troupe_protobuf_library(<target> [ROOT <dir>] <file.proto>...)
# Compiles .proto files with protoc into a static library. Imports resolve against the root of
# the .proto tree, and generated headers are included by the path relative to it
# (troupe/wire.proto -> #include "troupe/wire.pb.h"). The root is the calling CMakeLists.txt's
# directory (protobuf_generate), or ROOT when called from a subfolder
# (proto/troupe/actors/CMakeLists.txt passes ROOT .../proto; CMake 3.25's protobuf_generate
# always names outputs relative to the calling directory, so that case runs protoc itself).
function(troupe_protobuf_library target)
  cmake_parse_arguments(arg "" "ROOT" "" ${ARGN})
  if(NOT arg_ROOT)
    add_library(${target} STATIC ${arg_UNPARSED_ARGUMENTS})
    protobuf_generate(TARGET ${target} LANGUAGE cpp
      IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
      PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  else()
    set(generated "")
    foreach(proto IN LISTS arg_UNPARSED_ARGUMENTS)
      get_filename_component(abs ${proto} ABSOLUTE)
      file(RELATIVE_PATH rel ${arg_ROOT} ${abs})
      string(REGEX REPLACE "\\.proto$" "" stem ${rel})
      set(outputs ${CMAKE_CURRENT_BINARY_DIR}/${stem}.pb.cc ${CMAKE_CURRENT_BINARY_DIR}/${stem}.pb.h)
      add_custom_command(OUTPUT ${outputs}
        COMMAND protobuf::protoc --cpp_out=${CMAKE_CURRENT_BINARY_DIR} -I ${arg_ROOT} ${abs}
        DEPENDS ${abs} protobuf::protoc
        COMMENT "protoc ${rel}")
      list(APPEND generated ${outputs})
    endforeach()
    add_library(${target} STATIC ${generated})
  endif()
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_BINARY_DIR}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
