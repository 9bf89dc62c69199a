package org.peft4j.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorInfo;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.QuantState;
import org.peft4j.quant.QuantType;
import org.peft4j.quant.bnb.BnbCheckpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code peft4j quantize}: writes a safetensors checkpoint with its linear weights in bitsandbytes'
 * 4-bit layout (NF4 or FP4, optional double quantization), or turns such a file back into float32.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize the 2-D '*.weight' tensors of a safetensors file (except embeddings, norms and --keep) to 4 bits",
            "in bitsandbytes' checkpoint layout (weight, weight.absmax, weight.quant_map, [nested_absmax, nested_quant_map],",
            "weight.quant_state.bitsandbytes__nf4|fp4), or with --dequantize turn such a file back into float32."})
public final class QuantizeCommand implements Callable<Integer> {

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "input .safetensors (a folder: its model.safetensors)")
    private Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output .safetensors (written atomically)")
    private Path out;

    @Option(names = "--type", description = "nf4 or fp4 (default: ${DEFAULT-VALUE})", defaultValue = "nf4")
    private String type;

    @Option(names = "--double-quant", description = "quantize the absmax statistics too (QLoRA's double quantization)")
    private boolean doubleQuant;

    @Option(names = "--blocksize", description = "elements per absmax block: a power of two 32..4096 (default: ${DEFAULT-VALUE})", defaultValue = "64")
    private int blocksize;

    @Option(names = "--keep", paramLabel = "REGEX", description = "tensor names matching this regex stay as they are (e.g. 'classifier.*')")
    private String keep;

    @Option(names = "--dequantize", description = "read a 4-bit file and write float32 weights")
    private boolean dequantize;

    private static final Pattern NOT_LINEAR = Pattern.compile(".*(embeddings|embed_tokens|LayerNorm|layernorm|norm)\\..*|.*\\.(bias)$");

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Path file = Files.isDirectory(in) ? in.resolve("model.safetensors") : in;
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException("--in: " + file + ": no such file");
        }
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        return dequantize ? dequantize(file) : quantize(file);
    }

    private int quantize(Path file) throws IOException {
        QuantType qt;
        switch (type.toLowerCase(Locale.ROOT)) {
            case "nf4":
                qt = QuantType.NF4;
                break;
            case "fp4":
                qt = QuantType.FP4;
                break;
            default:
                throw new Peft4jCli.UsageError("--type: '" + type + "' is not allowed; allowed values: nf4, fp4");
        }
        Pattern keepPattern = null;
        if (keep != null) {
            try {
                keepPattern = Pattern.compile(keep);
            } catch (PatternSyntaxException e) {
                throw new Peft4jCli.UsageError("--keep: invalid regular expression: " + e.getDescription());
            }
        }
        QuantConfig config;
        try {
            config = QuantConfig.builder().quantType(qt).blocksize(blocksize).doubleQuant(doubleQuant).build();
        } catch (IllegalArgumentException e) {
            throw new Peft4jCli.UsageError("--blocksize: " + e.getMessage());
        }
        long before = 0;
        long params = 0;
        try (NDManager manager = NDManager.newBaseManager(); SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, QuantState> states = new LinkedHashMap<>();
            Map<String, NDArray> others = new LinkedHashMap<>();
            List<TensorInfo> tensors = r.tensors();
            int i = 0;
            for (TensorInfo t : tensors) {
                i++;
                boolean linear = t.shape().length == 2 && t.name().endsWith(".weight") && !NOT_LINEAR.matcher(t.name()).matches()
                        && (keepPattern == null || !keepPattern.matcher(t.name()).matches())
                        && (t.dtype().djlType() == DataType.FLOAT32 || t.dtype().djlType() == DataType.FLOAT16);
                if (linear) {
                    before += t.byteLength();
                    params += t.elementCount();
                    try (NDManager scratch = manager.newSubManager()) {
                        NDArray w = r.load(t.name(), scratch, DataType.FLOAT32);
                        states.put(t.name(), QuantState.quantize(w, config, manager));
                    }
                    System.err.printf(Locale.ROOT, "[%d/%d] %s %s -> %s%n", i, tensors.size(), t.name(), java.util.Arrays.toString(t.shape()), qt.name().toLowerCase(Locale.ROOT));
                } else {
                    others.put(t.name(), r.load(t.name(), manager));
                }
            }
            if (states.isEmpty()) {
                throw new IOException(file + ": no 2-D float '*.weight' tensor to quantize (all kept or none present)");
            }
            long after = states.values().stream().mapToLong(QuantState::bytesHeld).sum();
            Map<String, String> meta = new LinkedHashMap<>(r.metadata());
            meta.putIfAbsent("format", "pt");
            BnbCheckpoint.write(out, states, others, meta);
            System.out.printf(Locale.ROOT, "quantized %d weights (%,d parameters) to %s%s, blocksize %d: %.1f MB -> %.1f MB, %.3f bits per parameter; wrote %s%n",
                    states.size(), params, qt.name().toLowerCase(Locale.ROOT), doubleQuant ? " + double quantization" : "", blocksize,
                    before / 1e6, after / 1e6, 8.0 * after / params, out);
        }
        return 0;
    }

    private int dequantize(Path file) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(); SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, QuantState> states = BnbCheckpoint.read(file, manager);
            if (states.isEmpty()) {
                throw new IOException(file + ": no bitsandbytes 4-bit weight in this file (no *.quant_state.bitsandbytes__nf4|fp4 tensor)");
            }
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, QuantState> e : states.entrySet()) {
                tensors.put(e.getKey(), e.getValue().dequantize(manager));
            }
            for (String name : r.names()) {
                boolean part = states.keySet().stream().anyMatch(k -> name.equals(k) || name.startsWith(k + "."));
                if (!part) {
                    tensors.put(name, r.load(name, manager));
                }
            }
            SafetensorsWriter.save(out, tensors, Map.of("format", "pt"));
            System.out.printf(Locale.ROOT, "dequantized %d weights to float32; wrote %s%n", states.size(), out);
        }
        return 0;
    }
}
