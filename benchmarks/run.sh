#!/usr/bin/env bash
# peft4j benchmarks, one command each (run from anywhere):
#   benchmarks/run.sh jmh [JMH options]        JMH micro-benchmarks (LoRA layer, safetensors read, merge kernel)
#   benchmarks/run.sh e2e [options]            end-to-end rows on all-MiniLM-L6-v2, batch 32 x 128 -> benchmarks/results/e2e/
#   benchmarks/run.sh vs-pytorch [options]     the same rows side by side with PyTorch (+ HF PEFT or the fallback),
#                                              alternating -> benchmarks/results/vs-pytorch/ (sets up PyTorch first)
#   benchmarks/run.sh overhead                 LoRA inference overhead (base / unmerged / merged interleaved in one process)
#   benchmarks/run.sh profile --row ID         where one row's step time goes (libtorch profiler, self time per op)
#   benchmarks/run.sh step-compare --rows A,B  the steps of several rows interleaved in one process (e.g. LoRA vs QLoRA)
#   benchmarks/run.sh collect --mode M         write the report of a stopped run from its finished rows
#   benchmarks/run.sh soak [--row ID] [--steps N] [--batch B] [--seq-len T] [--sample-every K] [--threads N]
#                                              resident memory over N training steps (default 2000 of
#                                              train-lora-r8-qv, 32 x 128) -> benchmarks/results/soak/
#   benchmarks/run.sh rows                     list the rows
#   benchmarks/run.sh nf4 [ROWS COLS REPS]     NF4 quantize / dequantize throughput (default 4096 x 4096, 15 repetitions)
#   benchmarks/run.sh fuzz [N] [SEED]          long fuzz of every file reader, N inputs per format (default 100000)
#                                              -> benchmarks/results/fuzz/ (table of counts per format)
#   benchmarks/run.sh all                      jmh, e2e and vs-pytorch
# Options of e2e / vs-pytorch: benchmarks/run.sh e2e --help. The first run builds the project with Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cp_file="$root/benchmarks/target/bench-classpath.txt"
stamp="$root/benchmarks/target/.bench-built"

needs_build() {
  [ -f "$cp_file" ] && [ -f "$stamp" ] || return 0
  [ -n "$(find "$root" -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' \) -newer "$stamp" -print -quit)" ]
}

build() {
  command -v mvn >/dev/null 2>&1 || { echo "run.sh: Maven (mvn) is needed to build; install it (e.g. apt-get install maven)" >&2; exit 2; }
  echo "run.sh: building the benchmarks (first use or sources changed)..." >&2
  local log; log="$(mktemp)"
  local goals=(-B -q -pl benchmarks -am package -DskipTests dependency:build-classpath
               -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime)
  if ! mvn -o "${goals[@]}" >"$log" 2>&1 && ! mvn "${goals[@]}" >"$log" 2>&1; then
    cat "$log" >&2; echo "run.sh: build failed (log above)" >&2; exit 2
  fi
  rm -f "$log"
  touch "$stamp"
}

export TORCH_CPP_LOG_LEVEL="${TORCH_CPP_LOG_LEVEL:-ERROR}"
threads="${PEFT4J_BENCH_THREADS:-$(nproc)}"
java_cmd() {
  # shellcheck disable=SC2086
  java ${PEFT4J_JAVA_OPTS:--Xmx3g} -Xss16m -Dai.djl.offline=true \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error \
    -cp "$root/benchmarks/target/classes:$(cat "$cp_file")" "$@"
}

# Finds (or installs) a Python with torch; prints the interpreter on stdout, notes on stderr.
python_with_torch() {
  local py
  for py in ${PEFT4J_PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch' >/dev/null 2>&1; then echo "$py"; return 0; fi
  done
  echo "run.sh: no Python with torch found. PyPI is not reachable from this machine, so PyTorch comes from Debian's python3-torch:" >&2
  apt-cache policy python3-torch >&2 || true
  if ! apt-cache policy python3-torch 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq >&2; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >&2
  /usr/bin/python3 -c 'import torch' && echo /usr/bin/python3
}

# Debian's torch calls the generic libblas.so.3; with the reference BLAS behind it every matmul is
# many times slower, so install OpenBLAS (OpenMP build, as torch uses OpenMP) when that is what is there.
ensure_fast_blas() {
  local py="$1"
  if "$py" -c 'import torch,sys; sys.exit(0 if "BLAS_INFO=generic" in torch.__config__.show() else 1)' 2>/dev/null; then
    local blas; blas="$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || true)"
    if [ -z "$blas" ] || [[ "$blas" != *openblas* && "$blas" != *blis* && "$blas" != *mkl* ]]; then
      echo "run.sh: Debian's torch uses the system libblas.so.3 (now: ${blas:-none}); installing libopenblas0-openmp" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-openmp >&2
    fi
    echo "run.sh: PyTorch BLAS: $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)" >&2
  fi
  if "$py" -c 'import transformers, peft' >/dev/null 2>&1; then
    echo "run.sh: transformers and peft import: the PyTorch side uses them" >&2
  else
    echo "run.sh: transformers/peft do not import (not packaged by Debian; PyPI unreachable): the PyTorch side is the plain-PyTorch fallback" >&2
  fi
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  jmh)
    needs_build && build
    java_cmd org.openjdk.jmh.Main "$@"
    ;;
  rows|profile|collect|overhead|step-compare)
    needs_build && build
    java_cmd org.peft4j.benchmarks.cli.BenchCli "$cmd" "$@"
    ;;
  nf4)
    needs_build && build
    java_cmd org.peft4j.benchmarks.quant.Nf4Throughput "$@"
    ;;
  soak)
    needs_build && build
    # libtorch reads its thread count at start-up, so --threads also sets the JVM property. The heap is fixed
    # and pre-touched (resident from the start), so that growth of RSS during the run is native memory.
    rest=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --threads) threads="${2:?run.sh soak: --threads needs a value}"; shift 2 ;;
        --threads=*) threads="${1#--threads=}"; shift ;;
        *) rest+=("$1"); shift ;;
      esac
    done
    PEFT4J_JAVA_OPTS="${PEFT4J_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}" \
      java_cmd org.peft4j.benchmarks.cli.BenchCli soak --threads "$threads" "${rest[@]}"
    ;;
  e2e)
    needs_build && build
    java_cmd org.peft4j.benchmarks.cli.BenchCli e2e --threads "$threads" "$@"
    ;;
  vs-pytorch)
    needs_build && build
    py="$(python_with_torch)"
    ensure_fast_blas "$py"
    java_cmd org.peft4j.benchmarks.cli.BenchCli vs-pytorch --threads "$threads" --python "$py" "$@"
    ;;
  fuzz)
    # The fuzz formats live in the modules' test code (they build on peft-core's test jar), so this runs the
    # long campaign through Maven: FuzzAll (safetensors, shard index, adapter_config.json) in peft-lora, and
    # the quant-state, ONNX and HF config.json fuzz tests of peft-quant and peft-models with the larger count.
    command -v mvn >/dev/null 2>&1 || { echo "run.sh: Maven (mvn) is needed; install it (e.g. apt-get install maven)" >&2; exit 2; }
    n="${1:-100000}"; seed="${2:-}"
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh fuzz: N must be a positive integer, got '$n'" >&2; exit 2; }
    [ -z "$seed" ] || [[ "$seed" =~ ^-?[0-9]+$ ]] || { echo "run.sh fuzz: SEED must be an integer, got '$seed'" >&2; exit 2; }
    out="$root/benchmarks/results/fuzz"; mkdir -p "$out"
    log="$out/latest.log"
    echo "run.sh: fuzzing every reader with $n inputs per format (log: $log)" >&2
    set +e
    mvn -B -pl peft-lora,peft-quant,peft-models -am test \
      -Dtest='FuzzAll,BnbCheckpointFuzzTest,OnnxWeightsFuzzTest#everyMutated*,HfConfigFuzzTest' \
      -Dsurefire.failIfNoSpecifiedTests=false -Dpeft4j.fuzz.inputs="$n" ${seed:+-Dpeft4j.fuzz.seed="$seed"} \
      >"$log" 2>&1
    rc=$?
    set -e
    grep -E '^(fuzz |\| |[a-zA-Z_.]+ done in|FAILURE|example )|Tests run:.*Fail|BUILD' "$log" | tee "$out/latest.md"
    [ "$rc" -eq 0 ] || echo "run.sh fuzz: failed (exit $rc); see $log" >&2
    exit "$rc"
    ;;
  all)
    "$0" jmh && "$0" e2e && "$0" vs-pytorch
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'

    [ -z "$cmd" ] || [ "$cmd" = "-h" ] || [ "$cmd" = "--help" ] || exit 2
    ;;
esac
