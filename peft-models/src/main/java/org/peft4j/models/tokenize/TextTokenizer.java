package org.peft4j.models.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;

import org.peft4j.core.PeftException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) that turns a batch of texts into the
 * arrays a model takes: special tokens added, each text truncated to {@link #maxLength()} tokens,
 * the batch padded to its longest text (or always to {@code maxLength}). Runs offline: the Rust
 * tokenizers library ships inside the {@code ai.djl.huggingface:tokenizers} jar.
 */
public final class TextTokenizer implements AutoCloseable {

    /** How a batch is padded. */
    public enum Padding {
        /** To the longest text of the batch. */
        LONGEST,
        /** Always to {@link TextTokenizer#maxLength()}. */
        MAX_LENGTH
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final Padding padding;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, Padding padding) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.padding = padding;
    }

    /**
     * Loads a {@code tokenizer.json} file, padding to the longest text.
     *
     * @param tokenizerJson the file
     * @param maxLength the most tokens per text, special tokens included (the model's limit, e.g. 512)
     * @return the tokenizer
     */
    public static TextTokenizer fromFile(Path tokenizerJson, int maxLength) {
        return fromFile(tokenizerJson, maxLength, Padding.LONGEST);
    }

    /**
     * Loads a {@code tokenizer.json} file.
     *
     * @param tokenizerJson the file
     * @param maxLength the most tokens per text, special tokens included
     * @param padding how batches are padded
     * @return the tokenizer
     */
    public static TextTokenizer fromFile(Path tokenizerJson, int maxLength, Padding padding) {
        try {
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, options(maxLength, padding)), maxLength, padding);
        } catch (IOException | RuntimeException e) {
            throw new PeftException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads {@code tokenizer.json} content from a stream (for example a classpath resource); the
     * stream is not closed.
     *
     * @param tokenizerJson the JSON content
     * @param maxLength the most tokens per text, special tokens included
     * @param padding how batches are padded
     * @return the tokenizer
     */
    public static TextTokenizer fromStream(InputStream tokenizerJson, int maxLength, Padding padding) {
        try {
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, options(maxLength, padding)), maxLength, padding);
        } catch (IOException | RuntimeException e) {
            throw new PeftException("cannot load tokenizer from stream: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> options(int maxLength, Padding padding) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2 (room for special tokens), got " + maxLength);
        }
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "true");
        options.put("truncation", "true");
        options.put("padding", padding == Padding.LONGEST ? "true" : "max_length");
        options.put("maxLength", Integer.toString(maxLength));
        options.put("modelMaxLength", Integer.toString(maxLength));
        return options;
    }

    /**
     * Returns the most tokens per text.
     *
     * @return the limit, special tokens included
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Returns how batches are padded.
     *
     * @return the padding
     */
    public Padding padding() {
        return padding;
    }

    /**
     * Tokenizes a batch of single texts.
     *
     * @param texts the texts, at least one
     * @param manager the owner of the arrays
     * @return the batch, {@code [B, T]} int64 arrays
     */
    public TokenizedBatch encode(List<String> texts, NDManager manager) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to tokenize");
        }
        return toBatch(tokenizer.batchEncode(texts), manager);
    }

    /**
     * Tokenizes a batch of text pairs ({@code [CLS] a [SEP] b [SEP]} for BERT; token type 1 on the
     * second text).
     *
     * @param first the first texts
     * @param second the second texts, as many as {@code first}
     * @param manager the owner of the arrays
     * @return the batch
     */
    public TokenizedBatch encodePairs(List<String> first, List<String> second, NDManager manager) {
        if (first.size() != second.size() || first.isEmpty()) {
            throw new IllegalArgumentException(
                    "pairs need as many first as second texts (and at least one), got " + first.size() + " and " + second.size());
        }
        PairList<String, String> pairs = new PairList<>(first, second);
        return toBatch(tokenizer.batchEncode(pairs), manager);
    }

    /**
     * Returns the tokens of one text (without padding).
     *
     * @param text the text
     * @return the tokens, special tokens included
     */
    public List<String> tokens(String text) {
        return List.of(tokenizer.encode(text).getTokens());
    }

    /**
     * Turns ids back into text, skipping special tokens.
     *
     * @param ids token ids
     * @return the text
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    private static TokenizedBatch toBatch(Encoding[] encodings, NDManager manager) {
        int batch = encodings.length;
        int length = encodings[0].getIds().length;
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            Encoding e = encodings[b];
            if (e.getIds().length != length) {
                throw new IllegalStateException("tokenizer returned rows of different lengths; padding is not in effect");
            }
            System.arraycopy(e.getIds(), 0, ids, b * length, length);
            System.arraycopy(e.getAttentionMask(), 0, mask, b * length, length);
            System.arraycopy(e.getTypeIds(), 0, types, b * length, length);
        }
        Shape shape = new Shape(batch, length);
        NDArray idArray = manager.create(ids, shape);
        NDArray maskArray = manager.create(mask, shape);
        NDArray typeArray = manager.create(types, shape);
        return new TokenizedBatch(idArray, maskArray, typeArray);
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
