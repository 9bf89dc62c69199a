package org.peft4j.examples.cli;

import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.ShardedSafetensors;
import org.peft4j.core.io.TensorInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code peft4j inspect PATH}: a summary of an adapter folder, a checkpoint folder or a .safetensors file. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Summarise an adapter folder (method, targets, ranks, parameters), a checkpoint folder "
                + "(config.json + model.safetensors or a sharded index) or a single .safetensors file (tensors, dtypes, size).")
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATH", description = "adapter folder, checkpoint folder or .safetensors file")
    private Path path;

    private final PrintStream out = System.out;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (!Files.exists(path)) {
            throw new java.io.FileNotFoundException(path + ": no such file or folder");
        }
        if (Files.isDirectory(path) && Files.exists(path.resolve(AdapterFiles.CONFIG_FILE))) {
            inspectAdapter(path);
        } else if (Files.isDirectory(path)) {
            try (ShardedSafetensors s = ShardedSafetensors.openDirectory(path)) {
                out.println("checkpoint folder: " + path);
                Path config = path.resolve("config.json");
                if (Files.exists(config)) {
                    String text = Files.readString(config);
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"model_type\"\\s*:\\s*\"([^\"]+)\"").matcher(text);
                    out.println("model_type: " + (m.find() ? m.group(1) : "(not given)"));
                }
                out.println("shards: " + s.shardFiles().size());
                summarize(s.names().stream().map(n -> {
                    try {
                        return s.info(n);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).toList(), sizeOf(s.shardFiles()));
            }
        } else {
            try (SafetensorsReader r = SafetensorsReader.open(path)) {
                out.println("safetensors file: " + path);
                if (!r.metadata().isEmpty()) {
                    out.println("metadata: " + r.metadata());
                }
                summarize(r.tensors(), Files.size(path));
                long quantStates = r.names().stream().filter(n -> n.contains(".quant_state.bitsandbytes__")).count();
                if (quantStates > 0) {
                    out.println("bitsandbytes 4-bit layers: " + quantStates);
                }
            }
        }
        return 0;
    }

    private void inspectAdapter(Path dir) throws IOException {
        PeftConfig config = AdapterFiles.readConfig(dir);
        out.println("adapter folder: " + dir);
        out.println("method: " + config.peftType() + (config.common().taskType() == null ? "" : " (task " + config.common().taskType() + ")"));
        if (config instanceof org.peft4j.lora.LoraConfig lora) {
            // the LoRA options that change what the adapter computes or how it started
            out.println("lora: alpha " + lora.loraAlpha() + (lora.useRslora() ? " (rsLoRA, scaling alpha/sqrt(r))" : "")
                    + ", init_lora_weights " + lora.toJson().get("init_lora_weights")
                    + (lora.useDora() ? ", DoRA (use_dora: a magnitude per output row)" : "")
                    + (lora.loraBias() ? ", lora_bias" : ""));
        }
        out.println("targets: " + config.targets().targetModules()
                + (config.targets().layersToTransform() == null ? "" : " layers " + config.targets().layersToTransform()));
        if (!config.modulesToSave().isEmpty()) {
            out.println("modules_to_save: " + config.modulesToSave());
        }
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            Map<String, Long> ranks = new TreeMap<>();
            for (TensorInfo t : r.tensors()) {
                if (t.name().endsWith(".lora_A.weight")) {
                    String module = t.name().substring(AdapterFiles.PREFIX.length(), t.name().length() - ".lora_A.weight".length());
                    ranks.put(module, t.shape()[0]);
                }
            }
            if (!ranks.isEmpty()) {
                out.println("adapted layers: " + ranks.size() + ", ranks: " + new java.util.TreeSet<>(ranks.values()));
                ranks.entrySet().stream().limit(6).forEach(e -> out.println("  " + e.getKey() + "  r=" + e.getValue()));
                if (ranks.size() > 6) {
                    out.println("  ... " + (ranks.size() - 6) + " more");
                }
            }
            summarize(r.tensors(), Files.size(dir.resolve(AdapterFiles.WEIGHTS_FILE)) + Files.size(dir.resolve(AdapterFiles.CONFIG_FILE)));
        }
        try (Stream<Path> sub = Files.list(dir)) {
            List<String> others = sub.filter(p -> Files.isDirectory(p) && Files.exists(p.resolve(AdapterFiles.CONFIG_FILE)))
                    .map(p -> p.getFileName().toString()).sorted().toList();
            if (!others.isEmpty()) {
                out.println("further adapters in sub-folders: " + others);
            }
        }
    }

    private void summarize(List<TensorInfo> tensors, long bytesOnDisk) {
        Map<String, long[]> byType = new TreeMap<>();
        long params = 0;
        for (TensorInfo t : tensors) {
            long n = t.elementCount();
            params += n;
            long[] c = byType.computeIfAbsent(t.dtype().fileName(), k -> new long[2]);
            c[0]++;
            c[1] += n;
        }
        out.println(String.format(Locale.ROOT, "tensors: %d, parameters: %,d", tensors.size(), params));
        StringBuilder sb = new StringBuilder("dtypes:");
        byType.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s (%d tensors, %,d values)", k, v[0], v[1])));
        out.println(sb);
        out.println(String.format(Locale.ROOT, "size on disk: %,d bytes (%.2f MB)", bytesOnDisk, bytesOnDisk / 1e6));
    }

    private static long sizeOf(List<Path> files) throws IOException {
        long s = 0;
        for (Path p : files) {
            s += Files.size(p);
        }
        return s;
    }
}
