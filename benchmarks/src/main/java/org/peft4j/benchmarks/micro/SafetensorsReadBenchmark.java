package org.peft4j.benchmarks.micro;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reading a 64 MiB float32 safetensors file (16 tensors of {@code [1024, 1024]}, in the page cache)
 * into NDArrays, into {@code float[]}, and the plain-file baseline {@link Files#readAllBytes}. The
 * {@code bytes} counter makes JMH report throughput in bytes per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xss16m", "-Xmx2g", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SafetensorsReadBenchmark {

    private static final int TENSORS = 16;
    private static final int SIDE = 1024;

    private Path dir;
    private Path file;
    private NDManager manager;

    /** Counts bytes read per invocation. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        /** Bytes read. */
        public long bytes;
    }

    /**
     * Writes the file.
     *
     * @throws IOException if it cannot be written
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("peft4j-st-bench");
        file = dir.resolve("weights.safetensors");
        manager = NDManager.newBaseManager();
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (int i = 0; i < TENSORS; i++) {
            t.put("layer." + i + ".weight", manager.randomNormal(0f, 1f, new Shape(SIDE, SIDE), DataType.FLOAT32));
        }
        SafetensorsWriter.save(file, t, Map.of());
        t.values().forEach(NDArray::close);
    }

    /**
     * Deletes the file.
     *
     * @throws IOException if it cannot be deleted
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        manager.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Loads every tensor as an NDArray.
     *
     * @param counter the byte counter
     * @return a checksum element
     * @throws IOException if reading fails
     */
    @Benchmark
    public float toNDArrays(Bytes counter) throws IOException {
        float v = 0;
        try (SafetensorsReader r = SafetensorsReader.open(file); NDManager sm = manager.newSubManager()) {
            for (String name : r.names()) {
                NDArray a = r.load(name, sm);
                v += a.getFloat(0, 0);
            }
        }
        counter.bytes += (long) TENSORS * SIDE * SIDE * 4;
        return v;
    }

    /**
     * Reads every tensor into a {@code float[]}.
     *
     * @param counter the byte counter
     * @return a checksum element
     * @throws IOException if reading fails
     */
    @Benchmark
    public float toFloatArrays(Bytes counter) throws IOException {
        float v = 0;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String name : r.names()) {
                v += r.readFloats(name)[0];
            }
        }
        counter.bytes += (long) TENSORS * SIDE * SIDE * 4;
        return v;
    }

    /**
     * Baseline: reads the whole file into a byte array.
     *
     * @param counter the byte counter
     * @return a byte of the file
     * @throws IOException if reading fails
     */
    @Benchmark
    public byte readAllBytesBaseline(Bytes counter) throws IOException {
        byte[] b = Files.readAllBytes(file);
        counter.bytes += b.length;
        return b[b.length / 2];
    }
}
