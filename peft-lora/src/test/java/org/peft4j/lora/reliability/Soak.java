package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import org.junit.jupiter.api.Test;
import org.peft4j.core.PeftModel;
import org.peft4j.core.testing.TinyNet;
import org.peft4j.lora.LoraConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The soak run: 10,000 small LoRA training steps on a TinyNet with a DJL Trainer (Adam, dropout, a trained
 * {@code modules_to_save} copy), each step's inputs and activations in a sub-manager closed after the step.
 * Every {@value #SAMPLE_EVERY} steps it samples the process's resident set ({@code VmRSS} of /proc/self/status)
 * and the number of live NDArrays (every array still attached anywhere under the engine's system manager, found
 * with {@code NDManager.getManagedArrays()}, which recurses into sub-managers). After warm-up (step 1,000 to the
 * last step) neither may grow by 5% or more. The soak runs in a child JVM with a fixed, pre-touched 256 MiB heap, so
 * that resident growth means native growth. Its name does not end in {@code Test}, so the ordinary suite skips it:
 *
 * <pre>
 * mvn -o -B -q -pl peft-lora -am test -Dtest=Soak -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dpeft4j.soak.steps=10000] [-Dpeft4j.soak.threads=1]
 * </pre>
 */
public class Soak {

    /** System property with the number of steps. */
    public static final String STEPS_PROPERTY = "peft4j.soak.steps";
    /**
     * System property with PyTorch's intra-op thread count in the soak's JVM (default 1: with more threads than
     * free cores, OpenMP's spinning made a step 50 times slower on a shared 2-core machine).
     */
    public static final String THREADS_PROPERTY = "peft4j.soak.threads";
    private static final String HEAP = "256m";
    static final int SAMPLE_EVERY = 500;
    static final int WARM_UP = 1_000;
    /** Allowed growth after warm-up: the bound. */
    static final double MAX_GROWTH = 0.05;
    private static final int HIDDEN = 64;
    private static final int BATCH = 16;
    private static final int LABELS = 4;
    private static final int POOL = 64;

    /**
     * One sample.
     *
     * @param step steps done
     * @param rssKib resident set, KiB
     * @param liveArrays NDArrays attached under the system manager
     * @param loss the last step's loss
     */
    record Sample(int step, long rssKib, long heapCommittedKib, int liveArrays, float loss) {
    }

    @Test
    void residentMemoryAndLiveArraysStayFlatAfterWarmUp() throws Exception {
        int steps = Integer.getInteger(STEPS_PROPERTY, 10_000);
        String threads = System.getProperty(THREADS_PROPERTY, "1");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xss16m", "-Xms" + HEAP, "-Xmx" + HEAP, "-XX:+AlwaysPreTouch",
                "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dai.djl.pytorch.num_threads=" + threads, "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), Soak.class.getName(), Integer.toString(steps))
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = child.waitFor();
        System.out.println(output);
        assertEquals(0, exit, "the soak failed (see its output above)");
    }

    /**
     * Runs the soak, prints the table and the growth after warm-up, and exits with 1 if either measure grew by
     * {@link #MAX_GROWTH} or more. Run it with a fixed, pre-touched heap ({@code -Xms256m -Xmx256m
     * -XX:+AlwaysPreTouch}), as the test does: otherwise the JVM touching fresh heap pages for the first time
     * shows up as resident growth during the first few thousand steps.
     *
     * @param args optional: the number of steps
     * @throws IOException if /proc/self/status cannot be read
     */
    public static void main(String[] args) throws IOException {
        List<Sample> samples = run(args.length > 0 ? Integer.parseInt(args[0]) : 10_000);
        System.out.println(table(samples));
        Sample warm = samples.stream().filter(s -> s.step() == WARM_UP).findFirst().orElseThrow();
        Sample last = samples.get(samples.size() - 1);
        double rssGrowth = (double) (last.rssKib() - warm.rssKib()) / warm.rssKib();
        double arrayGrowth = (double) (last.liveArrays() - warm.liveArrays()) / warm.liveArrays();
        System.out.printf("growth from step %,d to %,d: RSS %+.2f%%, live NDArrays %+.2f%% (limit %+.0f%%)%n",
                WARM_UP, last.step(), 100 * rssGrowth, 100 * arrayGrowth, 100 * MAX_GROWTH);
        System.out.flush();
        System.exit(rssGrowth < MAX_GROWTH && arrayGrowth < MAX_GROWTH ? 0 : 1);
    }

    static List<Sample> run(int steps) throws IOException {
        Engine.getInstance().setRandomSeed(3);
        Random random = new Random(3);
        float[][] inputs = new float[POOL][BATCH * HIDDEN];
        float[][] labels = new float[POOL][BATCH];
        for (int b = 0; b < POOL; b++) {
            for (int i = 0; i < BATCH; i++) {
                float first = 0;
                float second = 0;
                for (int j = 0; j < HIDDEN; j++) {
                    float v = (float) random.nextGaussian();
                    inputs[b][i * HIDDEN + j] = v;
                    first += j % 2 == 0 ? v : 0;
                    second += j % 3 == 0 ? v : 0;
                }
                labels[b][i] = (first > 0 ? 1 : 0) + (second > 0 ? 2 : 0);
            }
        }
        List<Sample> samples = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("soak")) {
            PeftModel peft = PeftModel.wrap(new TinyNet(manager, HIDDEN, 2, LABELS), LoraConfig.builder().r(8)
                    .loraAlpha(16).loraDropout(0.1).targetModules("query", "value", "dense")
                    .modulesToSave("classifier").build());
            model.setBlock(peft.block());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build());
            NDManager system = manager.getParentManager();
            try (Trainer trainer = model.newTrainer(config)) {
                float loss = Float.NaN;
                samples.add(new Sample(0, rssKib(), heapKib(), system.getManagedArrays().size(), loss));
                for (int step = 1; step <= steps; step++) {
                    int b = step % POOL;
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray x = scope.create(inputs[b], new Shape(BATCH, HIDDEN));
                        NDArray y = scope.create(labels[b], new Shape(BATCH));
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray pred = trainer.forward(new NDList(x)).singletonOrThrow();
                            NDArray l = trainer.getLoss().evaluate(new NDList(y), new NDList(pred));
                            gc.backward(l);
                            if (step % SAMPLE_EVERY == 0) {
                                loss = l.getFloat();
                            }
                        }
                        trainer.step();
                    }
                    if (step % SAMPLE_EVERY == 0) {
                        samples.add(new Sample(step, rssKib(), heapKib(), system.getManagedArrays().size(), loss));
                    }
                }
            }
        }
        return samples;
    }

    /** @return VmRSS of this process, KiB */
    static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status (the soak needs Linux)");
    }

    /** @return the Java heap's committed size, KiB: the part of RSS the JVM's own heap sizing explains */
    static long heapKib() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
    }

    static String table(List<Sample> samples) {
        StringBuilder sb = new StringBuilder("| step | RSS (MiB) | Java heap committed (MiB) | live NDArrays | loss |\n"
                + "| ---: | ---: | ---: | ---: | ---: |\n");
        for (Sample s : samples) {
            sb.append(String.format("| %,d | %.1f | %.1f | %,d | %s |%n", s.step(), s.rssKib() / 1024.0,
                    s.heapCommittedKib() / 1024.0, s.liveArrays(),
                    Float.isNaN(s.loss()) ? "" : String.format("%.4f", s.loss())));
        }
        return sb.toString();
    }
}
