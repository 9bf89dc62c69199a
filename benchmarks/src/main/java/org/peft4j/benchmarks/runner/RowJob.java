package org.peft4j.benchmarks.runner;

/**
 * What a forked row process runs, passed as a JSON file.
 *
 * @param rowId the row
 * @param checkpoint the exported classifier folder
 * @param inputsFile the batch as safetensors (for the Python side)
 * @param workDir the row's work folder
 * @param resultFile where the process writes its {@link org.peft4j.benchmarks.report.RowResult}
 * @param warmupSteps untimed steps per side
 * @param rounds timed rounds
 * @param stepsPerRound timed steps per side and round
 * @param threads intra-op threads
 * @param python the interpreter, or null
 * @param pythonScript the worker script, or null
 * @param forceFallback force the plain-PyTorch fallback
 * @param settleMillis pause between sides
 */
public record RowJob(String rowId, String checkpoint, String inputsFile, String workDir, String resultFile,
                     int warmupSteps, int rounds, int stepsPerRound, int threads, String python, String pythonScript,
                     boolean forceFallback, long settleMillis) {}
