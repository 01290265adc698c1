# One bounded fuzzing run for CTest (see surge_add_fuzzer in cmake/SurgeFuzz.cmake):
#   cmake -DFUZZER=<exe> -DCORPUS=<seed dir> -DWORK=<scratch dir> -DARTIFACTS=<dir/>
#         -DOPTIONS=<libFuzzer flags> -P run_fuzzer.cmake
# The seeds are copied to WORK first: libFuzzer adds what it finds to its corpus directory, and
# the source tree must stay as it is. A crash, leak, timeout or out-of-memory makes libFuzzer
# exit non-zero, which fails the test; the input is in ARTIFACTS.
foreach(var FUZZER CORPUS WORK ARTIFACTS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK} ${ARTIFACTS})
file(GLOB seeds ${CORPUS}/*)
if(NOT seeds)
  message(FATAL_ERROR "run_fuzzer.cmake: no seed files in ${CORPUS}")
endif()
file(COPY ${seeds} DESTINATION ${WORK})

execute_process(COMMAND ${FUZZER} ${OPTIONS} -artifact_prefix=${ARTIFACTS} ${WORK}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${ARTIFACTS}. "
                      "Reproduce with: ${FUZZER} ${ARTIFACTS}<file>")
endif()
