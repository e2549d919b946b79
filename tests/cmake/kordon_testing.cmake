# kordon_add_gtest(<name> SOURCES a.cpp ... LINK lib ... LABEL unit|hil [TIMEOUT s])
# One helper for every GoogleTest binary, so `ctest -L unit` and `ctest -L hil` select suites.
include(GoogleTest)
find_package(GTest REQUIRED)

function(kordon_add_gtest name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "kordon_add_gtest(${name}): LABEL is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_LINK} GTest::gtest GTest::gtest_main GTest::gmock
    kordon_warnings)
  target_compile_definitions(${name} PRIVATE
    KORDON_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    KORDON_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
