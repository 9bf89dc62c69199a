package org.peft4j.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.peft4j.core.PeftModel;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.models.bert.BertCheckpoints;
import org.peft4j.models.checkpoint.HfCheckpoints;
import org.peft4j.models.checkpoint.LoadOptions;
import org.peft4j.models.checkpoint.SafetensorsTensorSource;
import org.peft4j.models.checkpoint.TensorSource;
import org.peft4j.models.pretrained.PretrainedModels;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code peft4j forward}: runs a BERT-family base model, optionally with a PEFT adapter (merged or
 * not), on token ids from a JSON file and writes the outputs as JSON.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Run a BERT-family model (HF folder, or onnx:minilm for the embedded all-MiniLM-L6-v2) with an optional",
            "PEFT adapter on input.json {input_ids, attention_mask, token_type_ids} ([batch][tokens] integers) and write",
            "out.json with logits (when the model has a classifier), last_hidden_state and pooler_output, each {shape, data}."})
public final class ForwardCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, paramLabel = "HF_DIR|onnx:minilm",
            description = "a Hugging Face folder (config.json + model.safetensors or a sharded index), or onnx:minilm")
    private String base;

    @Option(names = "--extra-weights", paramLabel = "FILE",
            description = "safetensors with tensors the base lacks (e.g. bert.pooler.* and classifier.* for onnx:minilm)")
    private Path extraWeights;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter folder to apply")
    private Path adapter;

    @Option(names = "--merge", description = "merge the adapter into the weights before running")
    private boolean merge;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "input JSON")
    private Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "output JSON (written atomically)")
    private Path output;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (merge && adapter == null) {
            throw new Peft4jCli.UsageError("--merge needs --adapter");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList inputs = readInput(manager);
            Block model = loadBase(manager);
            if (adapter != null) {
                PeftModel peft = PeftModel.load(model, adapter, false);
                model = merge ? peft.mergeAndUnload(true) : peft.block();
            }
            NDList out = model.forward(new ParameterStore(manager, false), inputs, false);
            JsonObject json = new JsonObject();
            for (NDArray a : out) {
                String name = a.getName() == null || a.getName().isEmpty() ? "output_" + json.size() : a.getName();
                JsonObject t = new JsonObject();
                JsonArray shape = new JsonArray();
                for (long d : a.getShape().getShape()) {
                    shape.add(d);
                }
                t.add("shape", shape);
                t.add("data", nested(a.toFloatArray(), a.getShape().getShape(), 0, new int[] {0}));
                json.add(name, t);
            }
            if (output.toAbsolutePath().getParent() != null) {
                Files.createDirectories(output.toAbsolutePath().getParent());
            }
            AtomicFiles.writeString(output, new GsonBuilder().create().toJson(json));
            System.out.println("wrote " + output + " (" + String.join(", ", json.keySet()) + ")");
        }
        return 0;
    }

    private Block loadBase(NDManager manager) throws IOException {
        if (base.startsWith("onnx:")) {
            if (!base.equals("onnx:minilm")) {
                throw new Peft4jCli.UsageError("--base: '" + base + "' is unknown; allowed: a Hugging Face folder or onnx:minilm");
            }
            if (extraWeights == null) {
                return PretrainedModels.miniLmL6V2(manager).model();
            }
            int labels = classifierRows(extraWeights);
            TensorSource heads = SafetensorsTensorSource.open(extraWeights);
            return PretrainedModels.miniLmL6V2ForSequenceClassification(manager, labels, heads).model();
        }
        Path dir = Path.of(base);
        if (!Files.isDirectory(dir)) {
            throw new Peft4jCli.UsageError("--base: " + dir + " is not a folder; give a Hugging Face folder or onnx:minilm");
        }
        String config = Files.readString(HfCheckpoints.configFile(dir));
        if (config.contains("ForSequenceClassification")) {
            return BertCheckpoints.loadForSequenceClassification(dir, manager, LoadOptions.strict()).model();
        }
        return BertCheckpoints.loadModel(dir, manager, LoadOptions.strict()).model();
    }

    private static int classifierRows(Path file) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            String key = r.contains("classifier.weight") ? "classifier.weight" : null;
            if (key == null) {
                throw new IOException(file + ": no classifier.weight tensor; --extra-weights must hold the classification head");
            }
            return (int) r.info(key).shape()[0];
        }
    }

    private NDList readInput(NDManager manager) throws IOException {
        JsonObject in;
        try {
            JsonElement e = JsonParser.parseString(Files.readString(input));
            if (!e.isJsonObject()) {
                throw new IOException(input + ": expected a JSON object with input_ids, attention_mask, token_type_ids");
            }
            in = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException(input + ": not valid JSON: " + e.getMessage(), e);
        }
        long[][] ids = matrix(in, "input_ids", null);
        long[][] mask = in.has("attention_mask") ? matrix(in, "attention_mask", ids) : ones(ids);
        long[][] types = in.has("token_type_ids") ? matrix(in, "token_type_ids", ids) : new long[ids.length][ids[0].length];
        Shape s = new Shape(ids.length, ids[0].length);
        return new NDList(manager.create(flat(ids), s), manager.create(flat(mask), s), manager.create(flat(types), s));
    }

    private long[][] matrix(JsonObject in, String field, long[][] like) throws IOException {
        JsonElement e = in.get(field);
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
            throw new IOException(input + ": " + field + " must be a non-empty [batch][tokens] array of integers");
        }
        JsonArray rows = e.getAsJsonArray();
        long[][] m = new long[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            if (!rows.get(i).isJsonArray()) {
                throw new IOException(input + ": " + field + "[" + i + "] is not an array");
            }
            JsonArray r = rows.get(i).getAsJsonArray();
            m[i] = new long[r.size()];
            for (int j = 0; j < r.size(); j++) {
                try {
                    m[i][j] = r.get(j).getAsLong();
                } catch (RuntimeException ex) {
                    throw new IOException(input + ": " + field + "[" + i + "][" + j + "] is not an integer: " + r.get(j));
                }
            }
            if (m[i].length != m[0].length) {
                throw new IOException(input + ": " + field + " rows have different lengths (" + m[0].length + " and " + m[i].length + ")");
            }
        }
        if (like != null && (m.length != like.length || m[0].length != like[0].length)) {
            throw new IOException(input + ": " + field + " is " + m.length + "x" + m[0].length + " but input_ids is " + like.length + "x" + like[0].length);
        }
        return m;
    }

    private static long[][] ones(long[][] like) {
        long[][] m = new long[like.length][like[0].length];
        for (long[] r : m) {
            java.util.Arrays.fill(r, 1);
        }
        return m;
    }

    private static long[] flat(long[][] m) {
        long[] f = new long[m.length * m[0].length];
        int k = 0;
        for (long[] r : m) {
            for (long v : r) {
                f[k++] = v;
            }
        }
        return f;
    }

    private static JsonElement nested(float[] data, long[] shape, int axis, int[] pos) {
        JsonArray a = new JsonArray();
        for (long i = 0; i < shape[axis]; i++) {
            if (axis == shape.length - 1) {
                a.add(data[pos[0]++]);
            } else {
                a.add(nested(data, shape, axis + 1, pos));
            }
        }
        return a;
    }
}
