package org.peft4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.peft4j.core.reliability.FuzzFormat;
import org.peft4j.core.reliability.FuzzInput;
import org.peft4j.core.reliability.JsonMutator;
import org.peft4j.models.bert.BertConfig;
import org.peft4j.models.config.ModelConfigException;
import org.peft4j.models.llama.LlamaConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@link BertConfig#fromJson(String)} or {@link LlamaConfig#fromJson(String)} on {@link JsonMutator} mutations of
 * the tiny-bert {@code config.json} (test resource {@code fixtures/tiny-bert/config.json}); first every top-level
 * field set to every value of {@link JsonMutator#TYPE_PALETTE}, then random mutations. For Llama the base is the
 * same file with {@code model_type} {@code "llama"} and {@code hidden_act} {@code "silu"}, so that unmutated
 * fields pass. Rejections documented by the readers are {@link ModelConfigException} and {@link
 * IllegalArgumentException}. An accepted config must have positive sizes, a hidden size divisible by the head
 * count, a positive finite norm epsilon, and write back to JSON that reads to the same config.
 */
final class HfConfigFuzzFormat implements FuzzFormat {

    /** The tiny-bert config in this module's test resources (see fixtures/NOTE.md). */
    static final String TINY_BERT = "fixtures/tiny-bert/config.json";

    private final boolean llama;
    private final String base;
    private final List<JsonMutator.Mutation> systematic;
    private final Map<String, Integer> rejectedBy = new TreeMap<>();

    HfConfigFuzzFormat(boolean llama) throws IOException {
        this.llama = llama;
        String bert;
        try (InputStream in = HfConfigFuzzFormat.class.getClassLoader().getResourceAsStream(TINY_BERT)) {
            if (in == null) {
                throw new IOException("test resource missing: " + TINY_BERT);
            }
            bert = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (llama) {
            JsonObject o = JsonParser.parseString(bert).getAsJsonObject();
            o.addProperty("model_type", "llama");
            o.addProperty("hidden_act", "silu");
            bert = o.toString();
        }
        this.base = bert;
        this.systematic = JsonMutator.everyFieldEveryType(base);
    }

    @Override
    public String name() {
        return llama ? "llama-config.json" : "bert-config.json";
    }

    @Override
    public void prepare(Path work) {
        // every input is a single self-contained file
    }

    @Override
    public FuzzInput input(long seed, int index, Path work) throws IOException {
        JsonMutator.Mutation m = index < systematic.size() ? systematic.get(index)
                : JsonMutator.mutate(base, new Random(seed * 1_000_003L + index));
        Path file = work.resolve("config.json");
        Files.write(file, m.bytes());
        return FuzzInput.either(m.label(), file);
    }

    @Override
    public void check(FuzzInput input) throws IOException {
        // invalid UTF-8 becomes replacement characters, as a caller holding the text would have it
        String json = new String(Files.readAllBytes(input.path()), StandardCharsets.UTF_8);
        try {
            if (llama) {
                LlamaConfig c = LlamaConfig.fromJson(json);
                assertValid(c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                        c.intermediateSize(), c.rmsNormEps());
                assertTrue(c.numKeyValueHeads() > 0 && c.headDim() > 0, c::toString);
                assertEquals(c, LlamaConfig.fromJson(c.toJson()), "written back and read again");
            } else {
                BertConfig c = BertConfig.fromJson(json);
                assertValid(c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                        c.intermediateSize(), c.layerNormEps());
                assertEquals(0, c.hiddenSize() % c.numAttentionHeads(), c::toString);
                assertEquals(c, BertConfig.fromJson(c.toJson("BertModel")), "written back and read again");
            }
        } catch (ModelConfigException | IllegalArgumentException e) {
            rejectedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            throw new TypedRejection(e);
        }
    }

    private static void assertValid(int vocab, int hidden, int layers, int heads, int intermediate, double eps) {
        assertTrue(vocab > 0 && hidden > 0 && layers > 0 && heads > 0 && intermediate > 0,
                () -> "sizes " + List.of(vocab, hidden, layers, heads, intermediate));
        assertTrue(eps > 0 && Double.isFinite(eps), "norm epsilon " + eps);
    }

    /** @return rejections by the reader's own exception class */
    Map<String, Integer> rejectedBy() {
        return rejectedBy;
    }
}
