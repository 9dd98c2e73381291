# Run by ctest (see install_tests.cmake) as `cmake -DSTEP=install|consumer ... -P` this file.
#   install:  installs TROUPE_BUILD_DIR into STEP_DIR/prefix, starting from an empty prefix, and
#             checks that the package files are there.
#   consumer: configures, builds and runs CONSUMER_SOURCE_DIR against STEP_DIR/prefix only.
cmake_minimum_required(VERSION 3.25)

set(prefix "${STEP_DIR}/prefix")
set(consumer_build "${STEP_DIR}/consumer-build")

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE "${prefix}")
  run_step("cmake --install" ${CMAKE_COMMAND} --install "${TROUPE_BUILD_DIR}" --prefix "${prefix}")
  file(GLOB_RECURSE config_files "${prefix}/*/cmake/troupe/*.cmake")
  foreach(expected troupeConfig troupeConfigVersion troupeTargets FindCAF troupe_protobuf)
    if(NOT config_files MATCHES "/${expected}\\.cmake")
      message(FATAL_ERROR "not installed: lib/cmake/troupe/${expected}.cmake")
    endif()
  endforeach()
  foreach(header troupe/troupe.hpp troupe/detail/co_actor_impl.hpp troupe/protobuf.hpp
                 troupe/extension.hpp troupe/actors.hpp troupe/actors/bounded_buffer.hpp)
    if(NOT EXISTS "${prefix}/include/${header}")
      message(FATAL_ERROR "not installed: include/${header}")
    endif()
  endforeach()
elseif(STEP STREQUAL "consumer")
  file(REMOVE_RECURSE "${consumer_build}")
  set(configure ${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${consumer_build}"
    -G "${CONSUMER_GENERATOR}"
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}
    "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}")
  if(CONSUMER_LAUNCHER)
    list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${CONSUMER_LAUNCHER})
  endif()
  run_step("configure the consumer" ${configure})

  # The package must come from the fresh prefix, not from a build tree or an older install.
  file(STRINGS "${consumer_build}/CMakeCache.txt" troupe_dir REGEX "^troupe_DIR:")
  string(REGEX REPLACE "^troupe_DIR:[A-Z]+=" "" troupe_dir "${troupe_dir}")
  cmake_path(IS_PREFIX prefix "${troupe_dir}" NORMALIZE from_prefix)
  if(NOT from_prefix)
    message(FATAL_ERROR "the consumer found troupe in ${troupe_dir}, not under ${prefix}")
  endif()

  run_step("build the consumer" ${CMAKE_COMMAND} --build "${consumer_build}" -j 2)
  execute_process(COMMAND "${consumer_build}/app" TIMEOUT 60
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "consumer output: ${out}")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "consumer: round trip ok")
    message(FATAL_ERROR "the consumer failed (exit ${rc})")
  endif()
else()
  message(FATAL_ERROR "STEP must be install or consumer, not '${STEP}'")
endif()
