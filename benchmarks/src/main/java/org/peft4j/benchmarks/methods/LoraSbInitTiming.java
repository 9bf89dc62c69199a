package org.peft4j.benchmarks.methods;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;

import org.peft4j.core.PeftModel;
import org.peft4j.examples.data.BundledData;
import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.quickstart.MeanPoolingClassifier;
import org.peft4j.lora.sb.LoraSbConfig;
import org.peft4j.lora.sb.UpdateEstimate;
import org.peft4j.lora.sb.UpdateEstimator;
import org.peft4j.models.bert.BertModel;
import org.peft4j.models.pretrained.PretrainedModels;
import org.peft4j.models.tokenize.TextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Wall-clock time of LoRA-SB's initialisation on all-MiniLM-L6-v2 with a classification head: the
 * gradient of the cross-entropy summed over 64 SpamAssassin training e-mails through all 36 linear
 * layers of the 6 blocks ({@code query}, {@code key}, {@code value}, {@code attention.output.dense},
 * {@code intermediate.dense}, {@code output.dense}), the rank-16 SVD of each of the 36 sign updates,
 * and the wrap. Tokenization happens before the clock starts. Prints {@code /proc/loadavg} before
 * and after, since the machine may be shared.
 *
 * <pre>
 * java -Xss16m -cp ... org.peft4j.benchmarks.methods.LoraSbInitTiming [samples=64] [batch=16] [maxLength=128] [rank=16] [repeats=3]
 * </pre>
 */
public final class LoraSbInitTiming {

    /** MiniLM's 36 linear layers of the 6 encoder blocks. */
    public static final String[] ALL_BLOCK_LINEARS = org.peft4j.benchmarks.workload.LoraSbRow.ALL_BLOCK_LINEARS;

    private LoraSbInitTiming() {}

    /**
     * Runs the timing.
     *
     * @param args optional {@code samples batch maxLength rank repeats}
     * @throws IOException if the bundled data or model cannot be read
     */
    public static void main(String[] args) throws IOException {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int maxLength = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int rank = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        System.out.printf(Locale.ROOT, "cores=%d  loadavg before: %s%n", Runtime.getRuntime().availableProcessors(), loadavg());
        System.out.printf(Locale.ROOT, "LoRA-SB init: %d samples, batch %d, max %d tokens, r=%d, targets %s%n",
                samples, batch, maxLength, rank, Arrays.toString(ALL_BLOCK_LINEARS));
        Engine.getInstance().setRandomSeed(42);
        LabelledTextSet train = BundledData.spamAssassin().stratifiedSplit(0.7, 0.1, 42).train().stratifiedSample(samples, 42);
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = PretrainedModels.miniLmL6V2Tokenizer(maxLength, TextTokenizer.Padding.LONGEST)) {
            BertModel bert = PretrainedModels.miniLmL6V2Encoder(manager);
            MeanPoolingClassifier model = new MeanPoolingClassifier(bert, train.labels().size(), manager);
            LoraSbConfig config = LoraSbConfig.builder().r(rank).targetModules(ALL_BLOCK_LINEARS).modulesToSave("classifier")
                    .numSamples(samples).estimationSchedule(1e-3, 4).build();
            List<Double> totals = new ArrayList<>();
            for (int run = 1; run <= repeats; run++) {
                List<Batch> batches = batches(train, tokenizer, batch, manager);
                PhaseClock clock = new PhaseClock();
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                PeftModel peft;
                int layers;
                try (UpdateEstimate estimate = UpdateEstimator.estimate(model, config, batches.iterator(), Loss.softmaxCrossEntropyLoss(), clock)) {
                    layers = estimate.paths().size();
                    peft = PeftModel.wrap(model, config.withUpdateEstimate(estimate));
                }
                double total = (System.nanoTime() - t0) / 1e9;
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                totals.add(total);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "run %d: %d layers, total %.1f s wall, %.1f s CPU (all threads)",
                        run, layers, total, cpu));
                double phases = 0;
                for (PhaseClock.Phase p : clock.phases()) {
                    line.append(String.format(Locale.ROOT, "  [%s %.1f s]", p.name(), p.seconds()));
                    phases += p.seconds();
                }
                line.append(String.format(Locale.ROOT, "  [targets, probes and wrap %.1f s]  trainable %,d  loadavg %s", total - phases,
                        peft.trainableParameters().trainable(), loadavg()));
                System.out.println(line);
                peft.unload(); // LoRA-SB leaves W0 untouched: unloading restores the base for the next run
            }
            totals.sort(null);
            System.out.printf(Locale.ROOT, "median total %.1f s over %d runs (budget 60 s)  loadavg after: %s%n", totals.get(totals.size() / 2), repeats, loadavg());
        }
    }

    private static List<Batch> batches(LabelledTextSet set, TextTokenizer tokenizer, int batchSize, NDManager manager) {
        List<Batch> out = new ArrayList<>();
        List<LabelledText> items = set.items();
        for (int start = 0; start < items.size(); start += batchSize) {
            List<LabelledText> part = items.subList(start, Math.min(items.size(), start + batchSize));
            NDManager bm = manager.newSubManager();
            List<String> texts = new ArrayList<>();
            long[] labels = new long[part.size()];
            for (int i = 0; i < labels.length; i++) {
                texts.add(part.get(i).text());
                labels[i] = set.labelIndex(part.get(i).label());
            }
            NDList inputs = tokenizer.encode(texts, bm).toNDList();
            out.add(new Batch(bm, inputs, new NDList(bm.create(labels)), part.size(), Batchifier.STACK, Batchifier.STACK, 0, 0));
        }
        return out;
    }

    /**
     * Returns the CPU time this process has used, all threads, user and system.
     *
     * @return nanoseconds, or -1 when the JVM does not report it
     */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : -1;
    }

    /**
     * Returns the first three fields of {@code /proc/loadavg}.
     *
     * @return e.g. {@code "1.20 0.90 0.70"}, or {@code "n/a"}
     */
    public static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
