package org.peft4j.benchmarks.sidebyside;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code peft4j_bench_worker.py}: one JSON command per line on its stdin, one JSON answer
 * per line on its stdout; its stderr is passed through to this process's stderr.
 */
public final class PythonWorker implements AutoCloseable {

    private static final Gson GSON = new Gson();

    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    private PythonWorker(Process process) {
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Starts the worker.
     *
     * @param python the interpreter (one that imports {@code torch})
     * @param script the worker script
     * @return the worker
     * @throws IOException if the process cannot start
     */
    public static PythonWorker start(String python, Path script) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(python, "-u", script.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new PythonWorker(pb.start());
    }

    /**
     * Sends a command and waits for its answer.
     *
     * @param command the command object (with {@code cmd})
     * @return the answer
     * @throws IOException if the worker died or answered with an error
     */
    public JsonObject call(JsonObject command) throws IOException {
        in.write(GSON.toJson(command));
        in.write('\n');
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("the Python worker exited (code " + exitCode() + ") while answering " + command.get("cmd"));
        }
        JsonObject answer = GSON.fromJson(line, JsonObject.class);
        if (!answer.has("ok") || !answer.get("ok").getAsBoolean()) {
            throw new IOException("the Python worker failed on " + command.get("cmd") + ": "
                    + (answer.has("error") ? answer.get("error").getAsString() : line));
        }
        return answer;
    }

    /**
     * Runs timed steps.
     *
     * @param n steps
     * @return each step's time in milliseconds
     * @throws IOException if the worker fails
     */
    public List<Double> steps(int n) throws IOException {
        JsonObject c = new JsonObject();
        c.addProperty("cmd", "steps");
        c.addProperty("n", n);
        JsonArray ms = call(c).getAsJsonArray("ms");
        List<Double> r = new ArrayList<>();
        for (JsonElement e : ms) {
            r.add(e.getAsDouble());
        }
        return r;
    }

    /**
     * Runs timed steps and returns the raw answer: {@code ms} (per step), {@code cpu_ms} (process
     * CPU time over all the steps) and {@code minor_faults} (over all the steps).
     *
     * @param n steps
     * @return the answer
     * @throws IOException if the worker fails
     */
    public JsonObject stepsWithCounters(int n) throws IOException {
        JsonObject c = new JsonObject();
        c.addProperty("cmd", "steps");
        c.addProperty("n", n);
        return call(c);
    }

    /**
     * Asks for a simple command ({@code memory}, {@code reset_peak}).
     *
     * @param name the command
     * @return the answer
     * @throws IOException if the worker fails
     */
    public JsonObject simple(String name) throws IOException {
        JsonObject c = new JsonObject();
        c.addProperty("cmd", name);
        return call(c);
    }

    private String exitCode() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Asks the worker to quit, and ends it if it does not within 10 seconds. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                in.write("{\"cmd\": \"quit\"}\n");
                in.flush();
            }
        } catch (IOException ignored) {
            // the process is already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
