package org.peft4j.examples.cli;

import org.peft4j.examples.quickstart.Quickstart;
import org.peft4j.examples.quickstart.QuickstartOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code peft4j finetune}: the quickstart, with options. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Fine-tune all-MiniLM-L6-v2 (from its Maven Central jar) for text classification:",
            "a head-only baseline, then the chosen adapter method, both reported on the test split.",
            "Writes the adapter (PEFT format), the merged model (HF layout), metrics.json and training.png."})
public final class FinetuneCommand implements Callable<Integer> {

    @Option(names = "--method", description = "adaptation method: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
            completionCandidates = Methods.class, defaultValue = "lora")
    private String method;

    @Option(names = {"-r", "--rank"}, description = "adapter rank (default: ${DEFAULT-VALUE})", defaultValue = "8")
    private int rank;

    @Option(names = "--alpha", description = "LoRA alpha; scaling is alpha/rank (default: ${DEFAULT-VALUE})", defaultValue = "16")
    private double alpha;

    @Option(names = "--dropout", description = "adapter dropout in [0, 1) (default: ${DEFAULT-VALUE})", defaultValue = "0.1")
    private double dropout;

    @Option(names = "--targets", split = ",", description = "target module names, comma separated (default: query,value)", defaultValue = "query,value")
    private List<String> targets;

    @Option(names = "--epochs", description = "passes over the training split (default: ${DEFAULT-VALUE})", defaultValue = "1")
    private int epochs;

    @Option(names = {"--lr", "--learning-rate"}, description = "peak learning rate of the adapter run (default: ${DEFAULT-VALUE})", defaultValue = "1e-3")
    private float lr;

    @Option(names = "--head-lr", description = "peak learning rate of the head-only baseline (default: ${DEFAULT-VALUE})", defaultValue = "3e-3")
    private float headLr;

    @Option(names = "--batch-size", description = "examples per step (default: ${DEFAULT-VALUE})", defaultValue = "32")
    private int batchSize;

    @Option(names = "--max-length", description = "tokens per text, 8..512 (default: ${DEFAULT-VALUE})", defaultValue = "64")
    private int maxLength;

    @Option(names = "--data", paramLabel = "FILE", description = "JSONL or CSV with text and label (optional split: train/validation/test); default: the bundled SpamAssassin corpus")
    private Path data;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "output folder (default: ${DEFAULT-VALUE})", defaultValue = "output/quickstart")
    private Path output;

    @Option(names = "--seed", description = "seed for initialisation, dropout and shuffling (default: ${DEFAULT-VALUE})", defaultValue = "42")
    private long seed;

    @Option(names = "--train-limit", description = "use at most N training examples, stratified (0 = all; default: ${DEFAULT-VALUE})", defaultValue = "0")
    private int trainLimit;

    @Option(names = "--eval-limit", description = "use at most N validation and N test examples (0 = all; default: ${DEFAULT-VALUE})", defaultValue = "0")
    private int evalLimit;

    @Option(names = "--positive-label", description = "label whose F1 is reported (default: ${DEFAULT-VALUE})", defaultValue = "spam")
    private String positiveLabel;

    /** The accepted methods, for help output. */
    static final class Methods extends java.util.ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Methods() {
            super(Quickstart.METHODS);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        check(Quickstart.METHODS.contains(method), "--method: '" + method + "' is not available; allowed values: " + String.join(", ", Quickstart.METHODS));
        check(rank > 0, "--rank: must be a positive integer, got " + rank);
        check(dropout >= 0 && dropout < 1, "--dropout: must be in [0, 1), got " + dropout);
        check(epochs > 0, "--epochs: must be a positive integer, got " + epochs);
        check(lr > 0 && Float.isFinite(lr), "--lr: must be a positive number, got " + lr);
        check(headLr > 0 && Float.isFinite(headLr), "--head-lr: must be a positive number, got " + headLr);
        check(batchSize > 0, "--batch-size: must be a positive integer, got " + batchSize);
        check(maxLength >= 8 && maxLength <= 512, "--max-length: must be in 8..512, got " + maxLength);
        check(trainLimit >= 0 && evalLimit >= 0, "--train-limit/--eval-limit: must be >= 0");
        check(targets != null && !targets.isEmpty() && targets.stream().noneMatch(String::isBlank), "--targets: give module names such as query,value");
        check(data == null || java.nio.file.Files.isRegularFile(data), "--data: " + data + ": no such file");
        QuickstartOptions o = new QuickstartOptions(method, rank, alpha, dropout, targets, epochs, lr, headLr, batchSize, maxLength, data,
                output, seed, trainLimit, evalLimit, positiveLabel);
        new Quickstart(o, System.out).run();
        return 0;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new Peft4jCli.UsageError(message);
        }
    }
}
