package org.peft4j.benchmarks.micro;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.engine.Engine;

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
 * A frozen dense layer {@code [out, in]} alone and with a LoRA adapter (r=8, scaling 2) on a batch of
 * 32 x 128 tokens: forward without gradients, and forward + backward (input gradient for both, plus
 * {@code lora_A}/{@code lora_B} gradients for LoRA), as in a LoRA training step where the layer's
 * input comes from earlier layers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xss16m", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class LoraLinearBenchmark {

    /** {@code out x in} of the frozen weight: attention projection and feed-forward up-projection of MiniLM. */
    @Param({"384x384", "1536x384"})
    public String shape;

    /** {@code dense} (the frozen layer alone) or {@code lora} (with an r=8 adapter). */
    @Param({"dense", "lora"})
    public String layer;

    private NDManager manager;
    private Block block;
    private NDArray x;

    /** Builds the layer and the input. */
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
        for (Parameter p : dense.getParameters().values()) {
            p.freeze(true);
        }
        if (layer.equals("lora")) {
            int r = 8;
            NDArray a = manager.randomNormal(0f, 0.05f, new Shape(r, in), DataType.FLOAT32);
            NDArray b = manager.randomNormal(0f, 0.05f, new Shape(out, r), DataType.FLOAT32);
            AdapterHost host = new AdapterHost("layer", dense);
            host.addAdapter("default", new LoraAdapter(a, b, null, 2.0, 0.0));
            host.setActive(List.of("default"));
            block = host;
        } else {
            block = dense;
        }
        x = manager.randomNormal(0f, 1f, new Shape(32, 128, in), DataType.FLOAT32);
        x.setRequiresGradient(true);
    }

    /** Frees the arrays. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /**
     * Forward pass, no gradients.
     *
     * @return the first output element (keeps the work observable)
     */
    @Benchmark
    public float forward() {
        try (NDManager sm = manager.newSubManager()) {
            sm.tempAttachAll(x);
            NDArray y = block.forward(new ParameterStore(sm, false), new NDList(x), false).head();
            return y.getFloat(0, 0, 0);
        }
    }

    /**
     * Forward and backward of {@code sum(y)}.
     *
     * @return the first element of the input gradient
     */
    @Benchmark
    public float forwardBackward() {
        try (NDManager sm = manager.newSubManager()) {
            sm.tempAttachAll(x);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = block.forward(new ParameterStore(sm, false), new NDList(x), true).head();
                gc.backward(y.sum());
            }
            NDArray g = x.getGradient();
            float v = g.getFloat(0, 0, 0);
            g.close();
            return v;
        }
    }
}
