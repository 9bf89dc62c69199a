package org.peft4j.lora.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.peft4j.core.config.PeftConfig;
import org.peft4j.core.format.AdapterFiles;
import org.peft4j.core.reliability.FuzzFormat;
import org.peft4j.core.reliability.FuzzInput;
import org.peft4j.core.reliability.JsonMutator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@link AdapterFiles#readConfig} on mutated {@code adapter_config.json} files. The valid inputs are the five
 * configs written by PEFT in src/test/resources/peft-fixtures, plus one of them with non-empty {@code rank_pattern}
 * and {@code alpha_pattern} so that numbers inside those maps are mutated too. Inputs: every top-level field of that
 * config with every JSON type, then random {@link JsonMutator} mutations of a random fixture.
 *
 * <p>An accepted config must be usable and faithful: it serializes ({@link AdapterFiles#configJson}), the text it
 * serializes to reads back to the same text, and every number the file gave for {@code r}, {@code lora_alpha},
 * {@code lora_dropout}, {@code layers_to_transform}, {@code rank_pattern} and {@code alpha_pattern} is kept exactly
 * (as a double: no rounding of 2.5 to 3, no wrapping of 2^32 + 1 to 1).
 */
public final class AdapterConfigFuzzFormat implements FuzzFormat {

    /** The PEFT-written configs (see peft-fixtures/NOTE.md). */
    public static final List<String> FIXTURES = List.of("tiny-bert/lora_qv", "tiny-bert/lora_all_linear_rslora",
            "tiny-bert/lora_two_adapters", "tiny-bert/lora_two_adapters/second", "minilm/lora_r8_qv");

    private final List<String> valid = new ArrayList<>();
    private List<JsonMutator.Mutation> sweep;
    private Path inputDir;
    private Path roundTripDir;

    @Override
    public String name() {
        return "adapter_config.json";
    }

    @Override
    public void prepare(Path work) throws IOException {
        for (String fixture : FIXTURES) {
            valid.add(resource("peft-fixtures/" + fixture + "/adapter_config.json"));
        }
        JsonObject withPatterns = JsonParser.parseString(valid.get(1)).getAsJsonObject();
        JsonObject ranks = new JsonObject();
        ranks.addProperty("query", 2);
        ranks.addProperty("layer.1.attention.self.value", 4);
        withPatterns.add("rank_pattern", ranks);
        JsonObject alphas = new JsonObject();
        alphas.addProperty("query", 4.5);
        withPatterns.add("alpha_pattern", alphas);
        valid.add(withPatterns.toString());
        sweep = JsonMutator.everyFieldEveryType(withPatterns.toString());
        inputDir = Files.createDirectories(work.resolve("input"));
        roundTripDir = Files.createDirectories(work.resolve("round-trip"));
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        JsonMutator.Mutation m;
        if (index < sweep.size()) {
            m = sweep.get(index);
        } else {
            Random random = new Random(seed * 1_000_003L + index);
            int base = random.nextInt(valid.size());
            m = JsonMutator.mutate(valid.get(base), random);
            m = new JsonMutator.Mutation("config " + base + ": " + m.label(), m.bytes());
        }
        Files.write(inputDir.resolve(AdapterFiles.CONFIG_FILE), m.bytes());
        return FuzzInput.either(m.label(), inputDir);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        PeftConfig config = AdapterFiles.readConfig(input.path());
        String written = AdapterFiles.configJson(config);
        // encoded as AtomicFiles.writeString encodes a saved config (without its fsync, to keep the campaign fast)
        Files.write(roundTripDir.resolve(AdapterFiles.CONFIG_FILE), written.getBytes(StandardCharsets.UTF_8));
        assertEquals(written, AdapterFiles.configJson(AdapterFiles.readConfig(roundTripDir)),
                "an accepted config must read back to itself");
        JsonObject given = JsonParser.parseString(new String(Files.readAllBytes(
                input.path().resolve(AdapterFiles.CONFIG_FILE)), StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject kept = JsonParser.parseString(written).getAsJsonObject();
        for (String field : List.of("r", "lora_alpha", "lora_dropout")) {
            assertSameNumber(field, given.get(field), kept.get(field));
        }
        JsonElement layers = given.get("layers_to_transform");
        if (layers != null && !layers.isJsonNull()) {
            JsonArray asList = layers.isJsonArray() ? layers.getAsJsonArray() : new JsonArray();
            if (!layers.isJsonArray()) {
                asList.add(layers);
            }
            JsonElement keptLayers = kept.get("layers_to_transform");
            if (asList.isEmpty()) {
                assertTrue(keptLayers == null || keptLayers.isJsonNull(), "empty layers_to_transform means all layers");
            } else {
                assertTrue(keptLayers != null && keptLayers.isJsonArray(), "layers_to_transform kept as " + keptLayers);
                assertEquals(asList.size(), keptLayers.getAsJsonArray().size(), "layers_to_transform");
                for (int i = 0; i < asList.size(); i++) {
                    assertSameNumber("layers_to_transform[" + i + "]", asList.get(i),
                            keptLayers.getAsJsonArray().get(i));
                }
            }
        }
        for (String field : List.of("rank_pattern", "alpha_pattern")) {
            JsonElement map = given.get(field);
            if (map != null && map.isJsonObject()) {
                for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
                    assertSameNumber(field + "." + e.getKey(), e.getValue(),
                            kept.getAsJsonObject(field).get(e.getKey()));
                }
            }
        }
    }

    /** A number the file gave must come back as the same double (a missing or null field takes a default). */
    private static void assertSameNumber(String field, JsonElement given, JsonElement kept) {
        if (given == null || given.isJsonNull()) {
            return;
        }
        assertTrue(kept != null && kept.isJsonPrimitive() && kept.getAsJsonPrimitive().isNumber(),
                field + ": accepted " + given + " but kept " + kept);
        assertEquals(given.getAsDouble(), kept.getAsDouble(), 0.0,
                field + ": accepted " + given + " but kept " + kept);
    }

    static String resource(String name) {
        try (InputStream in = AdapterConfigFuzzFormat.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
