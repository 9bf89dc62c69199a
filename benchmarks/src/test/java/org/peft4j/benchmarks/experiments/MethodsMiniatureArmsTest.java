package org.peft4j.benchmarks.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The miniature's arm syntax ({@code KEY}, aliases, {@code KEY@LR}) and its choice of learning rate on validation. */
class MethodsMiniatureArmsTest {

    private static final MethodsMiniature.Adapt NONE = (m, c) -> null;
    private static final List<MethodsMiniature.Arm> ALL = List.of(
            new MethodsMiniature.Arm("lora", "LoRA r=8", "36 linears", 1e-3f, NONE),
            new MethodsMiniature.Arm("lora-sb", "LoRA-SB r=16", "36 linears", 1e-3f, NONE));
    private static final Map<String, String> ALIASES = Map.of("lora-sb-3e-3", "lora-sb@3e-3");

    @Test
    void keysAliasesAndLearningRates() {
        List<MethodsMiniature.Arm> arms = MethodsMiniature.parseArms(List.of("lora", "lora@5e-4", "lora-sb-3e-3", "lora-sb@1e-2"), ALL, ALIASES);
        assertEquals(List.of("LoRA r=8", "LoRA r=8, lr 5e-4", "LoRA-SB r=16, lr 3e-3", "LoRA-SB r=16, lr 1e-2"),
                arms.stream().map(MethodsMiniature.Arm::name).toList());
        assertEquals(5e-4f, arms.get(1).learningRate());
        assertEquals(3e-3f, arms.get(2).learningRate());
        assertEquals("LoRA-SB r=16", arms.get(3).method());
        // an explicit @ at the default rate is the default arm
        assertEquals("LoRA r=8", MethodsMiniature.parseArms(List.of("lora@1e-3"), ALL, ALIASES).get(0).name());
    }

    @Test
    void rankArmsAreMethodsOfTheirOwn() {
        List<MethodsMiniature.Arm> arms = MethodsMiniature.parseArms(
                List.of("lora@3e-3", "lora-r16@3e-3", "lora-sb@2e-2", "lora-sb-r24@2e-2", "lora-qv@5e-4"), MethodsMiniature.allArms(), Map.of());
        assertEquals(List.of("LoRA r=8, lr 3e-3", "LoRA r=16, lr 3e-3", "LoRA-SB r=16, lr 2e-2", "LoRA-SB r=24, lr 2e-2",
                "LoRA r=8, query and value, lr 5e-4"), arms.stream().map(MethodsMiniature.Arm::name).toList());
        // the validation choice groups arms by method, so a rate of r=16 (or of LoRA on query and value only)
        // never competes with one of r=8 on all 36 linears
        assertEquals(5, arms.stream().map(MethodsMiniature.Arm::method).distinct().count());
        assertEquals(MethodsMiniature.allArms().size(), MethodsMiniature.allArms().stream().map(MethodsMiniature.Arm::key).distinct().count());
    }

    @Test
    void badArmsNameTheProblem() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> MethodsMiniature.parseArms(List.of("dora"), ALL, ALIASES));
        assertTrue(unknown.getMessage().contains("'dora'") && unknown.getMessage().contains("lora-sb-3e-3"), unknown.getMessage());
        IllegalArgumentException noRate = assertThrows(IllegalArgumentException.class,
                () -> MethodsMiniature.parseArms(List.of("lora@fast"), ALL, ALIASES));
        assertTrue(noRate.getMessage().contains("lora@fast"), noRate.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MethodsMiniature.parseArms(List.of("lora@-1e-3"), ALL, ALIASES));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> MethodsMiniature.parseArms(List.of("lora-sb-3e-3", "lora-sb@3e-3"), ALL, ALIASES));
        assertTrue(twice.getMessage().contains("repeats"), twice.getMessage());
    }

    @Test
    void chosenOnValidationNotOnTest() {
        List<MethodsMiniature.Arm> arms = MethodsMiniature.parseArms(List.of("lora", "lora@3e-3", "lora-sb"), ALL, ALIASES);
        // lr 3e-3 is better on validation (0.95 vs 0.90) but worse on test: the choice must follow validation
        List<MethodsMiniature.Result> results = List.of(
                result("LoRA r=8", 1, 0.99, 0.90), result("LoRA r=8", 2, 0.97, 0.90),
                result("LoRA r=8, lr 3e-3", 1, 0.80, 0.96), result("LoRA r=8, lr 3e-3", 2, 0.82, 0.94),
                result("LoRA-SB r=16", 1, 0.50, 0.50));
        String table = MethodsMiniature.selection(arms, results);
        assertTrue(table.contains("| LoRA r=8 | 1e-3, 3e-3 | 3e-3 | 95.00 | 81.00 ± 1.41 |"), table);
        // a method run at a single learning rate gets no row
        assertTrue(!table.contains("LoRA-SB"), table);
        assertEquals("", MethodsMiniature.selection(arms.subList(2, 3), results));
    }

    @Test
    void lossCsvQuotesArmNamesWithCommas() {
        assertEquals("head only", MethodsMiniature.csvField("head only"));
        assertEquals("\"LoRA r=8, lr 5e-4\"", MethodsMiniature.csvField("LoRA r=8, lr 5e-4"));
        assertEquals("\"a \"\"b\"\", c\"", MethodsMiniature.csvField("a \"b\", c"));
    }

    private static MethodsMiniature.Result result(String arm, long seed, double testAccuracy, double validationAccuracy) {
        return new MethodsMiniature.Result(arm, seed, testAccuracy, testAccuracy, validationAccuracy, validationAccuracy, 0, 0, 0, 0, Map.of(), 0);
    }

    @Test
    void evalEveryMustBeAPositiveInteger() {
        assertEquals(25, MethodsMiniature.positiveInt("25", "evalEvery"));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> MethodsMiniature.positiveInt("0", "evalEvery"));
        assertEquals("evalEvery: expected a positive integer, got 0", zero.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> MethodsMiniature.positiveInt("x25", "evalEvery"));
        assertEquals("evalEvery: expected a positive integer, got 'x25'", text.getMessage());
    }
}
