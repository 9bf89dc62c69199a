package org.peft4j.core.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.config.TargetSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Target matching against PEFT's semantics (tuners_utils.check_target_module_exists) and cases from
 * PEFT's REGEX_TEST_CASES (tests/test_tuners_utils.py).
 */
class TargetMatcherTest {

    private static boolean match(String key, List<String> targets, List<Integer> layers, List<String> pattern) {
        return TargetMatcher.matches(new TargetSpec(TargetModules.names(targets), null, layers, pattern), key, true);
    }

    @Test
    void exactNameMatches() {
        assertTrue(match("query", List.of("query"), null, null));
    }

    @Test
    void suffixMatchesOnlyWholeSegments() {
        assertTrue(match("model.layers.0.self_attn.q_proj", List.of("q_proj"), null, null));
        assertTrue(match("model.layers.0.self_attn.q_proj", List.of("self_attn.q_proj"), null, null));
        assertFalse(match("model.layers.0.self_attn.q_proj", List.of("proj"), null, null));
        assertFalse(match("model.layers.0.self_attn.q_proj", List.of("_proj"), null, null));
    }

    @Test
    void regexMustMatchWholePath() {
        TargetSpec s = TargetSpec.of(TargetModules.regex(".*\\.(q|v)_proj"));
        assertTrue(TargetMatcher.matches(s, "model.layers.3.self_attn.q_proj", true));
        assertFalse(TargetMatcher.matches(s, "model.layers.3.self_attn.k_proj", true));
        assertFalse(TargetMatcher.matches(TargetSpec.of(TargetModules.regex("q_proj")), "model.q_proj", true));
    }

    /** Rows of PEFT's REGEX_TEST_CASES (tests/test_tuners_utils.py): key | targets | layers | pattern | expected. */
    private static final String[] PEFT_REGEX_CASES = {
        "foo|foo|-|-|true", "foo|bar|-|-|false", "foo|foo,bar|-|-|true",
        "foo.bar.1.baz|baz|1|bar|true", "foo.bar.1.baz|baz|0|bar|false", "foo.bar.1.baz|baz|2|bar|false",
        "foo.bar.10.baz|baz|0|bar|false", "foo.bar.10.baz|baz|1|bar|false", "foo.bar.1.baz|baz|0,1,2|bar|true",
        "foo.bar.1.baz|baz,spam|1|bar|true", "foo.bar.1.baz|baz,spam|0,1,2|bar|true",
        "foo.whatever.1.baz|baz|1|-|true", "foo.whatever.1.baz|baz|0|-|false",
        "transformer.h.1.attn.attention.q_proj.foo|q_proj|-|-|false",
        "transformer.h.1.attn.attention.q_proj|q_proj|-|-|true",
        "transformer.h.1.attn.attention.q_proj|q_proj,v_proj|-|-|true",
        "transformer.h.1.attn.attention.resid_dropout|q_proj,v_proj|-|-|false",
        "transformer.h.1.attn.attention.q_proj|q_proj|1|h|true", "transformer.h.1.attn.attention.q_proj|q_proj|0|h|false",
        "transformer.h.1.attn.attention.q_proj|q_proj|2|h|false", "transformer.h.1.attn.attention.q_proj|q_proj|0,1,2|h|true",
        "transformer.h.1.attn.attention.q_proj|q_proj,v_proj|0,1,2|h|true", "foo.bar.q_proj|q_proj|-|-|true",
        "foo.bar.1.baz|baz|1|foo|false", "foo.bar.1.baz|baz|1|baz|false", "bar.1.baz|baz|1|bar|false",
        "foo.bar.001.baz|baz|1|bar|true", "foo.bar.1.spam.2.baz|baz|1|bar|true", "foo.bar.2.spam.1.baz|baz|1|bar|false",
        "blocks.1.weight|weight|1|blocks|false", "blocks.1.bias|weight|1|blocks|false",
        "mlp.blocks.1.weight|weight|1|blocks|true", "mlp.blocks.1.bias|weight|1|blocks|false",
    };

    @Test
    void peftRegexTestCasesAllAgree() {
        for (String row : PEFT_REGEX_CASES) {
            String[] f = row.split("\\|");
            List<Integer> layers = f[2].equals("-") ? null
                    : java.util.Arrays.stream(f[2].split(",")).map(Integer::valueOf).collect(java.util.stream.Collectors.toList());
            List<String> pattern = f[3].equals("-") ? null : List.of(f[3].split(","));
            assertEquals(Boolean.parseBoolean(f[4]), match(f[0], List.of(f[1].split(",")), layers, pattern), row);
        }
    }

    @Test
    void regexTargetsFullMatchAsPeftCases() {
        // REGEX_TEST_CASES rows with a string target_modules
        assertTrue(TargetMatcher.matches(TargetSpec.of(TargetModules.regex("foo")), "foo", true));
        assertTrue(TargetMatcher.matches(TargetSpec.of(TargetModules.regex(".*oo")), "foo", true));
        assertTrue(TargetMatcher.matches(TargetSpec.of(TargetModules.regex("fo.*")), "foo", true));
        assertFalse(TargetMatcher.matches(TargetSpec.of(TargetModules.regex(".*bar.*")), "foo", true));
        assertTrue(TargetMatcher.matches(TargetSpec.of(TargetModules.regex(".*oba.*")), "foobar", true));
    }

    @Test
    void layerIndexWithoutPatternIsFirstNumberedSegmentLazy() {
        // PEFT: re.match(r".*?\.[^.]*\.(\d+)\.", key): lazy, so the first index wins
        assertEquals(1, TargetMatcher.layerIndex("model.layers.1.experts.0.w1", null));
        assertEquals(1, TargetMatcher.layerIndex("bert.encoder.layer.001.attention.self.query", null));
        assertEquals(null, TargetMatcher.layerIndex("bert.pooler.dense", null));
    }

    @Test
    void layersToTransformWithPatternLayerSelectsTinyBertLayerOne() {
        List<String> t = List.of("query", "key", "value", "dense");
        assertTrue(match("bert.encoder.layer.1.attention.output.dense", t, List.of(1), List.of("layer")));
        assertFalse(match("bert.encoder.layer.0.attention.output.dense", t, List.of(1), List.of("layer")));
        // the pooler's path has no layer index: excluded when layers_to_transform is set (fixture NOTES)
        assertFalse(match("bert.pooler.dense", t, List.of(1), List.of("layer")));
        assertTrue(match("bert.pooler.dense", t, null, null));
    }

    @Test
    void excludeModulesWinsOverTargets() {
        TargetSpec s = new TargetSpec(TargetModules.names("dense"), TargetModules.names("pooler.dense"), null, null);
        assertEquals(TargetMatcher.Decision.EXCLUDED, TargetMatcher.decide(s, "bert.pooler.dense", true));
        assertEquals(TargetMatcher.Decision.TARGETED, TargetMatcher.decide(s, "bert.encoder.layer.0.output.dense", true));
        TargetSpec r = new TargetSpec(TargetModules.names("dense"), TargetModules.regex(".*pooler.*"), null, null);
        assertEquals(TargetMatcher.Decision.EXCLUDED, TargetMatcher.decide(r, "bert.pooler.dense", true));
    }

    @Test
    void allLinearSkipsLmHeadAndNonLinearModules() {
        TargetSpec s = TargetSpec.of(TargetModules.regex("ALL-LINEAR"));
        assertTrue(TargetMatcher.matches(s, "model.layers.0.mlp.up_proj", true));
        assertFalse(TargetMatcher.matches(s, "lm_head", true));
        assertFalse(TargetMatcher.matches(s, "model.norm", false));
    }

    @Test
    void regexTargetsRejectLayerSelection() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TargetSpec(TargetModules.regex(".*q"), null, List.of(1), null));
        assertTrue(e.getMessage().contains("layers_to_transform"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new TargetSpec(TargetModules.names("q"), null, null, List.of("layers")));
        assertTrue(e2.getMessage().contains("layers_pattern"), e2.getMessage());
    }

    @Test
    void rankPatternFirstKeyWinsAnchoredAtSegment() {
        // PEFT TestRankAndAlphaPattern: "foo" hits every *.foo, not foobar/barfoo; "^foo" top level only
        Map<String, Integer> p = new LinkedHashMap<>();
        p.put("foo", 16);
        assertEquals(16, PatternKeys.valueFor(p, "foo", 8));
        assertEquals(16, PatternKeys.valueFor(p, "bar.foo", 8));
        assertEquals(8, PatternKeys.valueFor(p, "bar.foobar", 8));
        assertEquals(8, PatternKeys.valueFor(p, "bar.barfoo", 8));
        Map<String, Integer> top = Map.of("^foo", 4);
        assertEquals(4, PatternKeys.valueFor(top, "foo", 8));
        assertEquals(8, PatternKeys.valueFor(top, "bar.foo", 8));
        Map<String, Integer> order = new LinkedHashMap<>();
        order.put("layer.0.query", 2);
        order.put("query", 4);
        assertEquals(2, PatternKeys.valueFor(order, "encoder.layer.0.query", 8));
        assertEquals(4, PatternKeys.valueFor(order, "encoder.layer.1.query", 8));
    }
}
