package org.peft4j.core.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.peft4j.core.PeftException;
import org.peft4j.core.PeftModel;
import org.peft4j.core.adapter.Adapter;
import org.peft4j.core.adapter.AdapterHost;
import org.peft4j.core.adapter.ModulesToSaveHost;
import org.peft4j.core.adapter.PeftMethods;
import org.peft4j.core.config.BiasMode;
import org.peft4j.core.config.JsonFields;
import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.io.AtomicFiles;
import org.peft4j.core.io.PickleCheckpoints;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.core.io.SafetensorsWriter;
import org.peft4j.core.io.TensorInfo;
import org.peft4j.core.nn.BlockPaths;
import org.peft4j.core.nn.DenseWeights;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * PEFT's adapter folder, both directions: {@code adapter_config.json} (PEFT field names, keys
 * sorted, {@code inference_mode: true}) and {@code adapter_model.safetensors} with PEFT's keys:
 * {@code base_model.model.<path>.lora_A.weight} {@code [r, in]}, {@code ...lora_B.weight} {@code
 * [out, r]}, no adapter name in the keys, {@code modules_to_save} copies as {@code
 * base_model.model.<path>.<param>}, metadata {@code {"format": "pt"}}. The adapter named {@code
 * default} is saved in the folder itself, any other adapter {@code X} in the sub-folder {@code X}.
 *
 * <p>Reading accepts what newer PEFT versions write: unknown config fields are ignored with a
 * warning, missing ones take their defaults, {@code target_modules} may be a list or a string, keys
 * without the {@code base_model.model.} prefix are accepted, half-precision tensors are widened to
 * float32. Every write is atomic.
 */
public final class AdapterFiles {

    /** The config file name. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** The weights file name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The key prefix PEFT's PeftModel gives every saved tensor. */
    public static final String PREFIX = "base_model.model.";

    private static final Logger LOG = LoggerFactory.getLogger(AdapterFiles.class);

    private AdapterFiles() {}

    /**
     * Saves adapters: {@code default} into {@code dir}, others into {@code dir/<name>}.
     *
     * @param model the model
     * @param dir the target folder (created if needed)
     * @param adapterNames the adapters to save; none means all
     * @throws IOException if a write fails (files already in place stay intact)
     */
    public static void save(PeftModel model, Path dir, String... adapterNames) throws IOException {
        List<String> names = adapterNames.length == 0 ? new ArrayList<>(model.configs().keySet()) : Arrays.asList(adapterNames);
        for (String name : names) {
            PeftConfig config = model.config(name);
            Path target = PeftModel.DEFAULT_ADAPTER.equals(name) ? dir : dir.resolve(name);
            Files.createDirectories(target);
            Map<String, Parameter> state = stateDict(model, name);
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            state.forEach((k, p) -> arrays.put(k, p.getArray()));
            SafetensorsWriter.save(target.resolve(WEIGHTS_FILE), arrays, Map.of("format", "pt"));
            AtomicFiles.writeString(target.resolve(CONFIG_FILE), configJson(config));
        }
    }

    /**
     * Returns the adapter_config.json text PEFT would write for {@code config}.
     *
     * @param config the config
     * @return indented JSON with sorted keys
     */
    public static String configJson(PeftConfig config) {
        return escapeLoneSurrogates(
                new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(config.toJson()));
    }

    /**
     * Gson writes an unpaired UTF-16 surrogate (a string read from a JSON escape of a lone surrogate) as a raw
     * char, which UTF-8 cannot encode: the saved file would hold '?' instead. Writing it as an escape keeps the
     * value, as Python's json does. Such chars only occur inside JSON strings, where an escape is valid.
     */
    private static String escapeLoneSurrogates(String json) {
        StringBuilder out = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
                if (out != null) {
                    out.append(c).append(json.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(json.length() + 16).append(json, 0, i);
                }
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? json : out.toString();
    }

    /**
     * Returns the tensors of one adapter under PEFT's saved keys (sorted), without copying.
     *
     * @param model the model
     * @param adapter the adapter name
     * @return key to parameter
     */
    public static Map<String, Parameter> stateDict(PeftModel model, String adapter) {
        PeftConfig config = model.config(adapter);
        Map<String, Parameter> out = new TreeMap<>();
        for (AdapterHost h : model.hosts()) {
            Adapter a = h.adapter(adapter);
            if (a != null) {
                a.stateTensors().forEach((k, p) -> out.put(PREFIX + h.path() + "." + k, p));
            }
        }
        for (ModulesToSaveHost h : model.saveHosts()) {
            h.copyParameters(adapter).forEach((k, p) -> out.put(PREFIX + h.path() + "." + k, p));
        }
        if (config.bias() == BiasMode.ALL) {
            List<String> skip = new ArrayList<>();
            model.saveHosts().forEach(h -> skip.add(h.path() + "."));
            model.hosts().forEach(h -> h.adapters().keySet().forEach(n -> skip.add(h.path() + "." + n + ".")));
            BlockPaths.parameters(model.block()).forEach((k, p) -> {
                if ((k.endsWith(".bias") || k.equals("bias")) && skip.stream().noneMatch(k::startsWith)) {
                    out.put(PREFIX + k, p);
                }
            });
        } else if (config.bias() == BiasMode.LORA_ONLY) {
            for (AdapterHost h : model.hosts()) {
                if (h.adapter(adapter) != null && h.base().bias() != null) {
                    out.put(PREFIX + h.path() + ".base_layer.bias", h.base().bias());
                }
            }
        }
        return out;
    }

    /**
     * Reads and validates {@code dir/adapter_config.json}, picking the method by {@code peft_type}.
     *
     * @param dir the adapter folder
     * @return the config
     * @throws IOException if the file cannot be read or is invalid (the message names the file and field)
     */
    public static PeftConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException(file + ": no " + CONFIG_FILE + " in this folder (is it an adapter folder?)");
        }
        if (Files.size(file) > 16L << 20) {
            throw new IOException(file + ": " + Files.size(file) + " bytes is too large for an adapter config (limit 16 MiB)");
        }
        JsonObject json;
        try {
            JsonElement e = JsonParser.parseString(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new IOException(file + ": expected a JSON object, got " + shorten(e.toString()));
            }
            json = e.getAsJsonObject();
        } catch (JsonParseException | StackOverflowError e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonFields fields = new JsonFields(json);
        String type;
        try {
            type = fields.string("peft_type", null);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (type == null) {
            throw new IOException(file + ": peft_type is missing; it names the method (e.g. \"LORA\")");
        }
        PeftConfig config;
        try {
            config = PeftMethods.forType(type).parseConfig(fields);
        } catch (IllegalArgumentException | PeftException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        List<String> unknown = fields.unknownFields();
        if (!unknown.isEmpty()) {
            LOG.warn("{}: unexpected keyword arguments {} for {}, these are ignored. This probably means the file was saved with a newer version of PEFT.",
                    file, unknown, config.getClass().getSimpleName());
        }
        return config;
    }

    /**
     * Loads an adapter folder onto a base model and returns the wrapped model with that adapter
     * ({@code default}) active.
     *
     * @param root the base model
     * @param dir the adapter folder
     * @param trainable false loads it frozen ({@code inference_mode})
     * @return the wrapped model
     * @throws IOException if a file is missing or invalid; the model is then left unwrapped
     */
    public static PeftModel load(Block root, Path dir, boolean trainable) throws IOException {
        PeftConfig config = readConfig(dir);
        config = config.withCommon(config.common().withInferenceMode(!trainable));
        PeftModel model = PeftModel.wrap(root, PeftModel.DEFAULT_ADAPTER, config);
        try {
            loadWeights(model, PeftModel.DEFAULT_ADAPTER, dir);
        } catch (IOException | RuntimeException e) {
            model.unload();
            throw e;
        }
        return model;
    }

    /**
     * Adds the adapter in {@code dir} to {@code model} under {@code name} (inactive, like PEFT's
     * {@code load_adapter}).
     *
     * @param model the model
     * @param dir the adapter folder
     * @param name the new adapter's name
     * @param trainable false loads it frozen
     * @throws IOException if a file is missing or invalid; the adapter is then not added
     */
    public static void loadAdapter(PeftModel model, Path dir, String name, boolean trainable) throws IOException {
        PeftConfig config = readConfig(dir);
        config = config.withCommon(config.common().withInferenceMode(!trainable));
        model.addAdapter(name, config);
        try {
            loadWeights(model, name, dir);
        } catch (IOException | RuntimeException e) {
            model.deleteAdapter(name);
            throw e;
        }
    }

    private static void loadWeights(PeftModel model, String name, Path dir) throws IOException {
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            for (String pickle : List.of("adapter_model.bin", "adapter_model.pt")) {
                if (Files.exists(dir.resolve(pickle))) {
                    PickleCheckpoints.refuse(dir.resolve(pickle));
                }
            }
            throw new java.io.FileNotFoundException(file + ": no " + WEIGHTS_FILE + " in this folder");
        }
        Map<String, Parameter> expected = stateDict(model, name);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Map<String, String> fileKeys = new LinkedHashMap<>();
            for (String k : reader.names()) {
                fileKeys.put(k.startsWith(PREFIX) ? k : PREFIX + k, k);
            }
            List<String> missing = new ArrayList<>();
            for (String k : expected.keySet()) {
                if (!fileKeys.containsKey(k)) {
                    missing.add(k);
                }
            }
            if (!missing.isEmpty()) {
                throw new IOException(file + ": missing adapter keys " + first(missing, 6) + " (" + missing.size()
                        + " of " + expected.size() + "); the file does not fit this model and config");
            }
            for (Map.Entry<String, Parameter> e : expected.entrySet()) {
                String fileKey = fileKeys.get(e.getKey());
                TensorInfo info = reader.info(fileKey);
                Shape want = e.getValue().getArray().getShape();
                if (!new Shape(info.shape()).equals(want)) {
                    throw new IOException(file + ": tensor " + fileKey + " has shape " + new Shape(info.shape())
                            + " but the model expects " + want);
                }
                NDArray target = e.getValue().getArray();
                try (NDManager scratch = target.getManager().newSubManager()) {
                    NDArray values = reader.load(fileKey, scratch, DataType.FLOAT32);
                    DenseWeights.assign(target, values);
                }
            }
            List<String> unexpected = new ArrayList<>();
            for (String k : fileKeys.keySet()) {
                if (!expected.containsKey(k)) {
                    unexpected.add(fileKeys.get(k));
                }
            }
            if (!unexpected.isEmpty()) {
                LOG.warn("{}: {} tensors not used by this model: {}", file, unexpected.size(), first(unexpected, 6));
            }
        }
    }

    private static String first(List<String> items, int n) {
        return items.size() <= n ? items.toString() : items.subList(0, n) + " ...";
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
