package org.peft4j.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.nn.DenseLinear;
import org.peft4j.lora.LoraAdapter;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The LoRA merge kernel {@code W += s·B·A} as {@link AdapterHost#merge} runs it (followed by the
 * unmerge {@code W -= s·B·A}, so the weight stays bounded), against a baseline that adds a
 * precomputed {@code [out, in]} array to {@code W} twice: the memory traffic any merge needs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xss16m", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class MergeKernelBenchmark {

    /** {@code out x in}: MiniLM's attention and feed-forward, and a 7B-model projection. */
    @Param({"384x384", "1536x384", "4096x4096"})
    public String shape;

    /** The LoRA rank. */
    @Param({"8", "16"})
    public int rank;

    private NDManager manager;
    private AdapterHost host;
    private NDArray weight;
    private NDArray delta;

    /** Builds the layer and adapter. */
    @Setup(Level.Trial)
    public void setUp() {
        Engine.getInstance().setRandomSeed(7);
        JniUtils.setGradMode(false);
        String[] s = shape.split("x");
        long out = Long.parseLong(s[0]);
        long in = Long.parseLong(s[1]);
        manager = NDManager.newBaseManager();
        DenseLinear dense = new DenseLinear(in, out, true);
        dense.initialize(manager, DataType.FLOAT32);
        dense.getParameters().values().forEach(p -> p.freeze(true));
        NDArray a = manager.randomNormal(0f, 0.05f, new Shape(rank, in), DataType.FLOAT32);
        NDArray b = manager.randomNormal(0f, 0.05f, new Shape(out, rank), DataType.FLOAT32);
        host = new AdapterHost("layer", dense);
        host.addAdapter("default", new LoraAdapter(a, b, null, 2.0, 0.0));
        host.setActive(List.of("default"));
        weight = dense.weight().getArray();
        delta = manager.randomNormal(0f, 0.01f, new Shape(out, in), DataType.FLOAT32);
    }

    /** Frees the arrays. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /** Merge then unmerge (CPU kernels are synchronous, so the work is done when this returns). */
    @Benchmark
    public void mergeUnmerge() {
        host.merge(List.of("default"), false);
        host.unmerge();
    }

    /** Baseline: {@code W += D; W -= D} with a precomputed {@code D}. */
    @Benchmark
    public void addSubBaseline() {
        weight.addi(delta);
        weight.subi(delta);
    }
}
