package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.PeftModel;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.testing.TinyNet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Crash safety of {@code PeftModel.save}: a child JVM ({@link SaveLoopChild}) saves new versions of a 4.25 MiB
 * adapter into one folder in a loop and is killed ({@code destroyForcibly}, SIGKILL on Linux) after a seeded random
 * delay, {@value #TRIALS} times. After every kill the folder must hold exactly one complete version in each file:
 * the config parses and equals the config saved, the weights parse and every tensor equals the same version (the
 * one on disk before the trial or one the child began to save), the folder loads onto a base model, and the only
 * other files are the writer's temporary files, which start with '.' and end in '.tmp' so that no reader (ours or
 * PEFT's) can take them for the adapter.
 *
 * <p>The weights and the config are two atomic renames, weights first: a kill between them leaves new weights with
 * the previous config. Here every version has the same config, so that state is a complete, loadable adapter; an
 * application that re-saves a different config (another rank) into the same folder does not get that guarantee.
 */
@Tag("slow") // 50 child JVMs that each load PyTorch: 1.5 to 4 minutes on 2 cores; runs in the default suite
class KillDuringSaveTest {

    static final int TRIALS = 50;
    private static final long SEED = 20_240_607L;
    /** Kills land anywhere in the first ~10 saves (one save of 4.25 MiB with fsync takes 20-80 ms here). */
    private static final int MAX_DELAY_MS = 600;
    private static final long VERSIONS_PER_TRIAL = 100_000L;
    private static final Pattern TEMP_FILE =
            Pattern.compile("\\.(adapter_config\\.json|adapter_model\\.safetensors)\\.[0-9a-f]+\\.tmp");

    @Test
    void killingAChildAtRandomPointsOfItsSavesAlwaysLeavesACompleteLoadableAdapter(@TempDir Path work)
            throws Exception {
        Path dir = work.resolve("adapter");
        Engine.getInstance().setRandomSeed(1);
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyNet base = VersionedAdapter.base(manager);
            PeftModel first = PeftModel.wrap(base, VersionedAdapter.config());
            new VersionedAdapter.Writer(first).set(0);
            first.save(dir);
            Map<String, Long> sizes = new TreeMap<>();
            AdapterFiles.stateDict(first, PeftModel.DEFAULT_ADAPTER)
                    .forEach((k, p) -> sizes.put(k, p.getArray().size()));
            first.unload();
            String config = AdapterFiles.configJson(VersionedAdapter.config().withCommon(
                    VersionedAdapter.config().common().withInferenceMode(true)));

            Random random = new Random(SEED);
            long onDisk = 0;
            int intact = 0;
            int diedInsideAWrite = 0;
            int completedSaves = 0;
            List<Long> saveNanos = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            long start = System.nanoTime();
            // trials run one after another: each starts from the folder the previous kill left
            for (int trial = 0; trial < TRIALS; trial++) {
                long firstVersion = (trial + 1) * VERSIONS_PER_TRIAL;
                int tempsBefore = tempFiles(dir).size();
                ChildRun run = runAndKill(dir, firstVersion, random.nextInt(MAX_DELAY_MS),
                        work.resolve("child-" + trial + ".stderr"));
                saveNanos.addAll(run.saveNanos);
                completedSaves += run.saveNanos.size();
                try {
                    long found = verify(dir, base, sizes, config);
                    boolean allowed = found == onDisk || (found >= firstVersion && found <= run.lastStarted);
                    assertTrue(allowed, "version " + found + " on disk; before the trial " + onDisk
                            + ", the child started versions " + firstVersion + ".." + run.lastStarted);
                    onDisk = found;
                    intact++;
                } catch (AssertionError | Exception e) {
                    problems.add("trial " + trial + " (delay " + run.delayMs + " ms): " + e);
                }
                if (tempFiles(dir).size() > tempsBefore) {
                    diedInsideAWrite++;
                }
            }
            saveNanos.sort(null);
            System.out.printf("kill-during-save: %d/%d intact (%d saves completed in all, median save %.0f ms;"
                    + " %d kills landed inside a file write; %d temporary files left in the folder; %.1f s)%n",
                    intact, TRIALS, completedSaves, saveNanos.isEmpty() ? 0 : saveNanos.get(saveNanos.size() / 2) / 1e6,
                    diedInsideAWrite, tempFiles(dir).size(), (System.nanoTime() - start) / 1e9);
            assertEquals(List.of(), problems);
            assertTrue(diedInsideAWrite > 0, "no kill landed inside a write: the test did not test anything");
        }
    }

    /** Checks the folder; returns the version it holds. */
    private static long verify(Path dir, TinyNet base, Map<String, Long> sizes, String config) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.collect(Collectors.toList())) {
                String name = f.getFileName().toString();
                boolean known = name.equals(AdapterFiles.CONFIG_FILE) || name.equals(AdapterFiles.WEIGHTS_FILE)
                        || TEMP_FILE.matcher(name).matches();
                assertTrue(known, "unexpected file " + name);
            }
        }
        assertEquals(config, AdapterFiles.configJson(AdapterFiles.readConfig(dir)), "the config is the one saved");
        long version = -1;
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            assertEquals(sizes.keySet(), new java.util.TreeSet<>(reader.names()), "tensor keys");
            for (String key : sizes.keySet()) {
                float[] values = reader.readFloats(key);
                assertEquals(sizes.get(key), values.length, key);
                if (version < 0) {
                    version = (long) values[0];
                }
                assertArrayEquals(VersionedAdapter.values(version, key, values.length), values,
                        key + " is not all of version " + version);
            }
        }
        PeftModel loaded = PeftModel.load(base, dir, false);
        try {
            Map<String, Parameter> state = AdapterFiles.stateDict(loaded, PeftModel.DEFAULT_ADAPTER);
            for (Map.Entry<String, Parameter> e : state.entrySet()) {
                float[] values = e.getValue().getArray().toFloatArray();
                assertArrayEquals(VersionedAdapter.values(version, e.getKey(), values.length), values,
                        "loaded " + e.getKey());
            }
        } finally {
            loaded.unload();
        }
        return version;
    }

    private static List<Path> tempFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> TEMP_FILE.matcher(f.getFileName().toString()).matches())
                    .collect(Collectors.toList());
        }
    }

    /** What one child did before it was killed. */
    private static final class ChildRun {
        final int delayMs;
        long lastStarted = -1;
        final List<Long> saveNanos = new ArrayList<>();

        ChildRun(int delayMs) {
            this.delayMs = delayMs;
        }
    }

    private static ChildRun runAndKill(Path dir, long firstVersion, int delayMs, Path stderr) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only and the serial collector: the child lives a few seconds, these halve its start-up
        Process child = new ProcessBuilder(java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                SaveLoopChild.class.getName(), dir.toString(), Long.toString(firstVersion))
                .redirectError(stderr.toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        });
        reader.start();
        ChildRun run = new ChildRun(delayMs);
        try {
            String first = lines.poll(120, TimeUnit.SECONDS);
            if (!"ready".equals(first)) {
                fail("child did not start (" + first + "): " + tail(stderr));
            }
            Thread.sleep(delayMs);
            if (!child.isAlive()) {
                fail("child exited by itself with " + child.exitValue() + ": " + tail(stderr));
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(60, TimeUnit.SECONDS);
            reader.join(60_000);
        }
        for (String line : lines) {
            String[] parts = line.split(" ");
            if (parts[0].equals("saving")) {
                run.lastStarted = Long.parseLong(parts[1]);
            } else if (parts[0].equals("saved")) {
                run.saveNanos.add(Long.parseLong(parts[2]));
            }
        }
        return run;
    }

    private static String tail(Path file) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        return text.length() <= 2000 ? text : text.substring(text.length() - 2000);
    }
}
