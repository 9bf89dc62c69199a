package org.peft4j.merge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.peft4j.core.io.SafetensorsReader;
import org.peft4j.lora.linalg.Svd;
import org.peft4j.lora.linalg.SvdResult;
import org.peft4j.merge.consensus.SignElection;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link AdapterCombination#combine} against the adapters that Hugging Face PEFT 0.21.0's own
 * {@code add_weighted_adapter} wrote (fixtures/peft-0.21/weighted, see its NOTE.md): three LoRA
 * adapters a (r 4, alpha 8), b (r 4, alpha 4), c (r 2, alpha 2) on query/key/value of the tiny BERT,
 * and one combined adapter per deterministic combination type. DARE is left out: its masks come
 * from torch's random generator.
 *
 * <p>Tolerances: the factor types ({@code cat}, {@code linear}, {@code ties}, {@code
 * magnitude_prune}) compute the same float32 operations in the same order, so their A and B must
 * agree to 1e-6 (the entries are of order 0.01 to 1). The SVD types are compared through {@code B A}
 * (singular vectors are only defined up to sign): to 2e-6 relative to the largest entry of PEFT's
 * {@code B A}, the round-off of two float32 SVDs (torch's and LAPACK's) of a matrix of rank at most
 * the target rank; a wrongly pruned entry or a wrong rank moves it by far more.
 *
 * <p>{@code svd_clamp}: PEFT clamps {@code U diag(S)} and {@code Vh} to the {@code svd_clamp}
 * quantile of their signed entries, so its result depends on the sign the SVD gives each singular
 * pair, which differs between LAPACK builds (here PEFT's torch and our OpenBLAS disagree on the
 * first pair of a layer, and the clamped products then differ by about as much as their size). That
 * case is checked with the SVD's signs aligned to PEFT's, factor by factor, to 5e-6 absolute: the
 * rows of {@code A} are unit singular vectors, which two float32 SVDs give to about 1e-6 (observed
 * 1.4e-6), while the wrong quantile (the unaligned case) moves the clamp threshold from 0.082 to 0.17.
 */
class PeftWeightedAdapterFixtureTest {

    private static final double FACTOR_TOL = 1e-6;
    private static final double SVD_REL_TOL = 2e-6;
    private static final double CLAMPED_FACTOR_TOL = 5e-6;
    private static final Map<String, Double> SCALING = Map.of("a", 8.0 / 4, "b", 4.0 / 4, "c", 2.0 / 2);
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static Path dir() {
        try {
            return Path.of(PeftWeightedAdapterFixtureTest.class.getResource("/fixtures/peft-0.21/weighted").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Layer path (e.g. bert.encoder.layer.0.attention.self.query) to lora_A / lora_B of one file. */
    private static Map<String, NDArray[]> factors(Path file) throws IOException {
        Map<String, NDArray[]> layers = new TreeMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (String k : r.names()) {
                String rest = k.substring("base_model.model.".length());
                boolean isA = rest.endsWith(".lora_A.weight");
                String layer = rest.substring(0, rest.length() - ".lora_A.weight".length());
                layers.computeIfAbsent(layer, x -> new NDArray[2])[isA ? 0 : 1] = r.load(k, manager);
            }
        }
        return layers;
    }

    private static AdapterCombination.Builder combination(JsonObject c) {
        JsonObject kw = c.getAsJsonObject("kwargs");
        AdapterCombination.Builder b = AdapterCombination.builder(CombinationType.fromPeftName(c.get("combination_type").getAsString()));
        List<Double> w = new ArrayList<>();
        c.getAsJsonArray("weights").forEach(e -> w.add(e.getAsDouble()));
        b.weights(w.stream().mapToDouble(Double::doubleValue).toArray());
        if (kw.has("density")) {
            b.density(kw.get("density").getAsDouble());
        }
        if (kw.has("svd_rank")) {
            b.svdRank(kw.get("svd_rank").getAsInt());
        }
        if (kw.has("svd_clamp")) {
            b.svdClamp(kw.get("svd_clamp").getAsDouble());
        }
        if (kw.has("majority_sign_method")) {
            b.majoritySign(SignElection.valueOf(kw.get("majority_sign_method").getAsString().toUpperCase(java.util.Locale.ROOT)));
        }
        return b;
    }

    /**
     * The exact top-k SVD with each singular pair's sign chosen to agree with PEFT's {@code lora_B}
     * column (clamping keeps signs). An SVD fixes each pair (u_i, v_i) only up to a common sign, and
     * LAPACK builds choose differently; {@code svd_clamp} clamps to a quantile of the signed entries,
     * so PEFT's clamped result itself depends on that choice.
     */
    private static Svd alignedTo(int k, NDArray peftB) {
        return (w, out) -> {
            try (SvdResult top = Svd.truncated(k).decompose(w, out)) {
                float[] u = top.u().toFloatArray();
                float[] vt = top.vt().toFloatArray();
                float[] ref = peftB.toFloatArray();
                int rows = (int) top.u().getShape().get(0);
                int cols = (int) top.vt().getShape().get(1);
                for (int i = 0; i < k; i++) {
                    double dot = 0;
                    for (int r = 0; r < rows; r++) {
                        dot += u[r * k + i] * ref[r * k + i];
                    }
                    if (dot < 0) {
                        for (int r = 0; r < rows; r++) {
                            u[r * k + i] = -u[r * k + i];
                        }
                        for (int j = 0; j < cols; j++) {
                            vt[i * cols + j] = -vt[i * cols + j];
                        }
                    }
                }
                return new SvdResult(out.create(u, top.u().getShape()), top.s().duplicate(), out.create(vt, top.vt().getShape()));
            }
        };
    }

    @TestFactory
    List<DynamicTest> everyDeterministicCombinationTypeMatchesPeft() throws IOException {
        Path dir = dir();
        JsonObject listing = JsonParser.parseString(Files.readString(dir.resolve("combinations.json"))).getAsJsonObject();
        Map<String, Map<String, NDArray[]>> sources = new TreeMap<>();
        for (String a : List.of("a", "b", "c")) {
            sources.put(a, factors(dir.resolve(a).resolve("adapter_model.safetensors")));
        }
        Set<String> types = new TreeSet<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : listing.entrySet()) {
            JsonObject c = e.getValue().getAsJsonObject();
            assertFalse(c.has("exception"), e.getKey() + " failed in PEFT when the fixture was made");
            types.add(c.get("combination_type").getAsString());
            tests.add(DynamicTest.dynamicTest(e.getKey(), () -> assertMatches(e.getKey(), c, sources, dir)));
        }
        // the fixture covers every combination type PEFT computes without a random mask
        assertEquals(new TreeSet<>(List.of("cat", "linear", "svd", "ties", "magnitude_prune", "ties_svd", "magnitude_prune_svd")), types);
        return tests;
    }

    private static void assertMatches(String name, JsonObject c, Map<String, Map<String, NDArray[]>> sources, Path dir) throws IOException {
        AdapterCombination.Builder builder = combination(c);
        AdapterCombination combination = builder.build();
        boolean clamp = c.getAsJsonObject("kwargs").has("svd_clamp");
        List<String> adapters = new ArrayList<>();
        c.getAsJsonArray("adapters").forEach(x -> adapters.add(x.getAsString()));
        Map<String, NDArray[]> peft = factors(dir.resolve(name + ".safetensors"));
        assertEquals(sources.get("a").keySet(), peft.keySet(), name + ": layers");
        boolean svd = combination.type().peftName().contains("svd");
        for (Map.Entry<String, NDArray[]> layer : peft.entrySet()) {
            List<LoraFactors> in = new ArrayList<>();
            for (String a : adapters) {
                NDArray[] f = sources.get(a).get(layer.getKey());
                in.add(new LoraFactors(f[0], f[1], SCALING.get(a)));
            }
            NDArray theirA = layer.getValue()[0];
            NDArray theirB = layer.getValue()[1];
            LoraFactors ours = clamp
                    ? builder.svd(k -> alignedTo(k, theirB)).build().combine(layer.getKey(), in)
                    : combination.combine(layer.getKey(), in);
            assertEquals(theirA.getShape(), ours.a().getShape(), name + " " + layer.getKey() + ": lora_A shape");
            assertEquals(theirB.getShape(), ours.b().getShape(), name + " " + layer.getKey() + ": lora_B shape");
            assertEquals(c.get("r").getAsInt(), ours.rank(), name + ": r");
            if (clamp) {
                double da = theirA.sub(ours.a()).abs().max().getFloat();
                double db = theirB.sub(ours.b()).abs().max().getFloat();
                assertTrue(da <= CLAMPED_FACTOR_TOL && db <= CLAMPED_FACTOR_TOL,
                        name + " " + layer.getKey() + ": clamped lora_A differs by " + da + ", lora_B by " + db);
            } else if (svd) {
                NDArray expected = theirB.matMul(theirA);
                NDArray actual = ours.b().matMul(ours.a());
                double scale = expected.abs().max().getFloat();
                double d = expected.sub(actual).abs().max().getFloat();
                assertTrue(d <= SVD_REL_TOL * scale, name + " " + layer.getKey() + ": |B A - PEFT's B A| = " + d + " > " + SVD_REL_TOL + " x " + scale);
            } else {
                double da = theirA.sub(ours.a()).abs().max().getFloat();
                double db = theirB.sub(ours.b()).abs().max().getFloat();
                assertTrue(da <= FACTOR_TOL && db <= FACTOR_TOL, name + " " + layer.getKey() + ": lora_A differs by " + da + ", lora_B by " + db);
            }
        }
    }
}
